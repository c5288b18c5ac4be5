"""libpq password files (``hostname:port:database:username:password``, mode 0600).

``kubechat audit init`` keeps the app role's password in such a file and names it in the DSN
(``passfile=PATH``), so the DSN it prints, and every command line or config file that repeats
it, holds no secret. libpq reads the file on each connection. A backslash escapes ``:`` and
itself in a field; ``*`` matches anything (see the PostgreSQL manual, "The Password File").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from kubechat_lab.errors import AuditError

__all__ = ["PgpassEntry", "read_password", "write_password"]

PgpassEntry = tuple[str, str, str, str]
"""``(host, port, database, user)``: the key of one password-file line."""


def _escape(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def _split(line: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    chars = iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == ":" and len(fields) < 4:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def read_password(path: Path, entry: PgpassEntry) -> str | None:
    """Return the password stored for exactly ``entry`` in ``path``, or None.

    Parameters
    ----------
    path
        A libpq password file (a missing file holds nothing).
    entry
        ``(host, port, database, user)``, compared literally (no wildcards).

    Returns
    -------
    str or None
        The password of the first matching line.
    """
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuditError(f"cannot read the password file {path}: {exc}") from exc
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _split(line)
        if len(fields) == 5 and tuple(fields[:4]) == entry:
            return fields[4]
    return None


def write_password(path: Path, entry: PgpassEntry, password: str) -> None:
    """Store ``password`` for ``entry`` in ``path``; other lines are kept; mode 0600.

    The file is rewritten atomically (a temporary file in the same directory, then
    ``os.replace``), so a reader never sees half a file.

    Parameters
    ----------
    path
        The password file (created with its directory when missing).
    entry
        ``(host, port, database, user)``; a line with the same key is replaced.
    password
        The secret.

    Raises
    ------
    AuditError
        The file or its directory cannot be written.
    """
    new_line = ":".join(_escape(field) for field in (*entry, password))
    try:
        old = path.read_text().splitlines() if path.exists() else []
        kept = [
            line for line in old
            if not (line.strip() and not line.lstrip().startswith("#")
                    and tuple(_split(line)[:4]) == entry)
        ]  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pgpass-", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as fh:  # mkstemp creates it 0600
                fh.write("\n".join([*kept, new_line]) + "\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise AuditError(f"cannot write the password file {path}: {exc}") from exc
