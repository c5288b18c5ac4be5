"""The hash-chained, tamper-evident audit log in PostgreSQL (DESIGN.md section 7).

Importing this package loads psycopg; pandas, pyarrow and cryptography are imported only by
the functions that need them.
"""

from __future__ import annotations

from kubechat_lab.audit import events
from kubechat_lab.audit._canonical import (
    GENESIS_HASH,
    HASH_DOMAIN,
    JSONValue,
    canonical_payload,
    entry_hash,
)
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
from kubechat_lab.audit._records import AuditRecord, VerifyReport
from kubechat_lab.audit._schema import APP_ROLE
from kubechat_lab.audit._store import AuditStore, AuditStoreStateError, redact_dsn
from kubechat_lab.errors import AuditError

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
