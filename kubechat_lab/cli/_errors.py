"""ClickException subclasses with fixed exit codes (2 usage, 1 runtime, 3 policy denial)."""

from __future__ import annotations

import click

__all__ = ["PolicyDenied", "RuntimeFailure", "UsageFailure"]


class UsageFailure(click.ClickException):
    """The input was refused (unparseable command, bad option value)."""

    exit_code = 2


class RuntimeFailure(click.ClickException):
    """Something outside the input failed (cluster, database, provider)."""

    exit_code = 1


class PolicyDenied(click.ClickException):
    """The safety policy refused to run the command, or it needs an approval not given."""

    exit_code = 3
