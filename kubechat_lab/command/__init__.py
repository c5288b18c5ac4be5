"""The kubectl language: tokenizer, grammar, typed ``Command``, canonical rendering."""

from __future__ import annotations

from kubechat_lab.command._builtin_resources import DEFAULT_RESOURCES
from kubechat_lab.command._pointer import is_index_token, pointer_tokens
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
from kubechat_lab.command._yaml import MAX_DATA_CHARS, MAX_DATA_DEPTH, load_data, load_documents
from kubechat_lab.command.model import Command, parse
from kubechat_lab.errors import CommandError, CommandSyntaxError

__all__ = [
    "DEFAULT_RESOURCES",
    "MAX_DATA_CHARS",
    "MAX_DATA_DEPTH",
    "REDACTED",
    "VERBS",
    "Command",
    "CommandError",
    "CommandSyntaxError",
    "ResourceInfo",
    "ResourceTable",
    "SecretSpot",
    "Token",
    "is_index_token",
    "load_data",
    "load_documents",
    "manifest_objects",
    "parse",
    "pointer_tokens",
    "redact_command",
    "redact_text",
    "render",
    "secret_spots",
    "secret_template",
    "secret_values",
    "tokenize",
]
