"""Typed wrappers of ``IPython.display`` (IPython's own functions are untyped)."""

from __future__ import annotations

from IPython.display import Markdown, Pretty, display

__all__ = ["show", "show_markdown", "show_text"]


def show(obj: object) -> None:
    """``IPython.display.display`` (typed)."""
    display(obj)  # type: ignore[no-untyped-call]


def show_markdown(text: str) -> None:
    """Display Markdown text."""
    show(Markdown(text))  # type: ignore[no-untyped-call]


def show_text(text: str) -> None:
    """Display plain text as it is (describe, yaml, diffs)."""
    show(Pretty(text))  # type: ignore[no-untyped-call]
