"""The hash-chained, tamper-evident audit log in PostgreSQL (docs/audit.md).

Importing this package loads only the event types and the canonical hashing; the store,
the embedded PostgreSQL server and their psycopg are imported when one of their names is first
used (a lazy ``__getattr__``), so ``kubechat run`` and the kernel do not pay for them.
"""

from __future__ import annotations

import typing

from kubechat_lab._lazy import lazy_names as _lazy_names
from kubechat_lab.audit import events
from kubechat_lab.audit._canonical import (
    GENESIS_HASH,
    HASH_DOMAIN,
    JSONValue,
    canonical_payload,
    entry_hash,
)
from kubechat_lab.audit._records import AuditRecord, VerifyReport
from kubechat_lab.errors import AuditError

if typing.TYPE_CHECKING:
    from kubechat_lab.audit._checkpoints import (
        generate_signing_key,
        load_public_key,
        load_signing_key,
        verify_checkpoints,
        write_checkpoint,
    )
    from kubechat_lab.audit._default_server import (
        default_data_dir,
        default_dsn,
        default_passfile,
        embedded_for_data_dir,
    )
    from kubechat_lab.audit._embedded import EmbeddedPostgres
    from kubechat_lab.audit._export import export_parquet, to_frame
    from kubechat_lab.audit._provision import AuditInit, init_database
    from kubechat_lab.audit._schema import APP_ROLE
    from kubechat_lab.audit._store import AuditStore, AuditStoreStateError, redact_dsn

#: Names imported on first use, by the module that defines them.
_LAZY = {
    "APP_ROLE": "_schema",
    "AuditInit": "_provision",
    "AuditStore": "_store",
    "AuditStoreStateError": "_store",
    "EmbeddedPostgres": "_embedded",
    "default_data_dir": "_default_server",
    "default_dsn": "_default_server",
    "default_passfile": "_default_server",
    "embedded_for_data_dir": "_default_server",
    "export_parquet": "_export",
    "generate_signing_key": "_checkpoints",
    "init_database": "_provision",
    "load_public_key": "_checkpoints",
    "load_signing_key": "_checkpoints",
    "redact_dsn": "_store",
    "to_frame": "_export",
    "verify_checkpoints": "_checkpoints",
    "write_checkpoint": "_checkpoints",
}

__all__ = [
    "APP_ROLE",
    "AuditError",
    "AuditInit",
    "AuditRecord",
    "AuditStore",
    "AuditStoreStateError",
    "EmbeddedPostgres",
    "GENESIS_HASH",
    "HASH_DOMAIN",
    "JSONValue",
    "VerifyReport",
    "canonical_payload",
    "default_data_dir",
    "default_dsn",
    "default_passfile",
    "embedded_for_data_dir",
    "entry_hash",
    "events",
    "export_parquet",
    "generate_signing_key",
    "init_database",
    "load_public_key",
    "load_signing_key",
    "redact_dsn",
    "to_frame",
    "verify_checkpoints",
    "write_checkpoint",
]


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, __all__)
