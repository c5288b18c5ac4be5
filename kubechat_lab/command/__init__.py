"""The kubectl language: tokenizer, grammar, typed ``Command``, canonical rendering."""

from __future__ import annotations

from kubechat_lab.command._builtin_resources import DEFAULT_RESOURCES
from kubechat_lab.command._render import render
from kubechat_lab.command._resource_table import ResourceInfo, ResourceTable
from kubechat_lab.command._secrets import (
    REDACTED,
    SecretSpot,
    redact_command,
    redact_text,
    secret_spots,
    secret_template,
    secret_values,
)
from kubechat_lab.command._tokenize import Token, tokenize
from kubechat_lab.command._validate import manifest_objects
from kubechat_lab.command._verb_kinds import VERBS
from kubechat_lab.command.model import Command, parse
from kubechat_lab.errors import CommandError, CommandSyntaxError

__all__ = [
    "DEFAULT_RESOURCES",
    "REDACTED",
    "VERBS",
    "Command",
    "CommandError",
    "CommandSyntaxError",
    "ResourceInfo",
    "ResourceTable",
    "SecretSpot",
    "Token",
    "manifest_objects",
    "parse",
    "redact_command",
    "redact_text",
    "render",
    "secret_spots",
    "secret_template",
    "secret_values",
    "tokenize",
]
