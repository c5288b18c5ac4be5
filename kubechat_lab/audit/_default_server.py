"""Where the audit log lives when nothing is configured: the embedded server's defaults.

``default_dsn`` is ``$KUBECHAT_AUDIT_DSN`` when set; otherwise it starts (or reuses) the
embedded PostgreSQL under ``jupyter_data_dir()/kubechat/postgres``, migrates its schema and
returns the app role's DSN. That server keeps running after the process exits.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubechat_lab.audit._embedded import EmbeddedPostgres

__all__ = ["default_data_dir", "default_dsn", "default_passfile", "embedded_for_data_dir"]

logger = logging.getLogger(__name__)


def default_data_dir() -> Path:
    """Return ``jupyter_data_dir()/kubechat/postgres``, where the embedded server lives.

    Returns
    -------
    Path
        The directory (not created).
    """
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "kubechat" / "postgres"


def default_passfile() -> Path:
    """Return ``jupyter_data_dir()/kubechat/audit.pgpass``: ``kubechat audit init``'s passfile.

    Returns
    -------
    Path
        The libpq password file (not created).
    """
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "kubechat" / "audit.pgpass"


def embedded_for_data_dir(
    data_dir: str | os.PathLike[str] | None = None, *, migrate: bool = True
) -> EmbeddedPostgres:
    """Start (or reuse) the embedded server and, by default, migrate its audit schema.

    Parameters
    ----------
    data_dir
        Default :func:`default_data_dir`.
    migrate
        Run ``AuditStore.migrate`` with the superuser DSN, giving the app role its password.

    Returns
    -------
    EmbeddedPostgres
        Running; use ``.app_dsn`` for the application and ``.dsn`` for administration.
    """
    from kubechat_lab.audit._embedded import EmbeddedPostgres
    from kubechat_lab.audit._store import AuditStore

    server = EmbeddedPostgres(data_dir if data_dir is not None else default_data_dir())
    server.start()
    if migrate:
        with AuditStore(server.dsn) as store:
            store.migrate(app_password=server.app_password)
    return server


def default_dsn() -> str:
    """Return the audit DSN: ``$KUBECHAT_AUDIT_DSN``, else the embedded server's app DSN.

    Returns
    -------
    str
        A libpq connection string for the application role.
    """
    env = os.environ.get("KUBECHAT_AUDIT_DSN", "").strip()
    if env:
        return env
    started = time.monotonic()
    server = embedded_for_data_dir()
    logger.debug("embedded audit database ready in %.2f s", time.monotonic() - started)
    return server.app_dsn
