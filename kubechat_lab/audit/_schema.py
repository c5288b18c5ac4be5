"""The audit schema: versioned migrations, the append function, triggers and the app role.

Everything lives in the PostgreSQL schema ``kubechat_audit`` so a shared server can hold the
chain next to other applications:

- ``audit_event``: one row per event, ``seq`` 1, 2, ... with ``prev_hash``/``entry_hash``
  (both unique, so a fork cannot be stored), the exact canonical ``payload`` bytes and a
  ``payload_json`` copy for querying.
- ``audit_head``: exactly one row (``id = 1``) holding the last ``seq`` and ``hash``.
- ``kubechat_audit_append(payload bytea)``: the only way in. ``SECURITY DEFINER``; it locks the
  head row ``FOR UPDATE`` (so appends serialise under READ COMMITTED), computes
  ``seq = head.seq + 1`` and the entry hash with the built-in ``sha256(bytea)`` (PostgreSQL 11+,
  no pgcrypto), inserts the row and advances the head.
- ``kubechat_audit_sync()``: a durability barrier. It commits a tiny WAL record
  synchronously, so every commit before it (including an append committed with
  ``synchronous_commit = off``) is flushed to disk when it returns.
- ``kubechat_audit_append_durable(payload)``: a procedure that calls the append function,
  commits with ``synchronous_commit = off`` (releasing the head lock at once), then runs the
  barrier and commits synchronously: group commit in one ``CALL``. See ``AuditStore``.
- Triggers refuse UPDATE, DELETE and TRUNCATE on ``audit_event``; ``audit_head`` accepts only
  the one UPDATE that advances it to the row just inserted.
- The application role gets USAGE on the schema, SELECT on the tables and EXECUTE on the two
  functions and the procedure, nothing else: a direct INSERT fails with ``insufficient_privilege``.
- ``answer_cache`` (migration 4) is the LLM answer cache, outside the chain: the application
  role may SELECT, INSERT, UPDATE and DELETE its rows (hits, stores, evictions), nothing more.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from psycopg import errors, sql

from kubechat_lab.audit._state_schema import STATE_GRANTS, STATE_MIGRATION

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "APPEND_FUNCTION",
    "APP_ROLE",
    "MAX_PAYLOAD_BYTES",
    "MIGRATIONS",
    "SCHEMA",
    "apply_migrations",
]

logger = logging.getLogger(__name__)

SCHEMA: Final = "kubechat_audit"
"""The PostgreSQL schema that holds every audit object."""

APP_ROLE: Final = "kubechat_app"
"""Default name of the least-privilege application role."""

APPEND_FUNCTION: Final = "kubechat_audit_append"
"""Name of the append function (in ``SCHEMA``)."""

MAX_PAYLOAD_BYTES: Final = 1 << 20
"""Largest payload the append function accepts (1 MiB)."""

# Serialises concurrent migrate() calls on one database (pg_advisory_xact_lock key).
_MIGRATION_LOCK_KEY: Final = 0x6B75_6265_6175_6469  # "kubeaudi"

_V1_TABLES = """
CREATE TABLE kubechat_audit.audit_event (
    seq          bigint      PRIMARY KEY CHECK (seq >= 1),
    prev_hash    bytea       NOT NULL UNIQUE CHECK (octet_length(prev_hash) = 32),
    entry_hash   bytea       NOT NULL UNIQUE CHECK (octet_length(entry_hash) = 32),
    payload      bytea       NOT NULL,
    payload_json jsonb       NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE kubechat_audit.audit_event IS
    'kubechat hash-chained audit log; append only through kubechat_audit_append(bytea)';

CREATE TABLE kubechat_audit.audit_head (
    id   smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    seq  bigint   NOT NULL CHECK (seq >= 0),
    hash bytea    NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO kubechat_audit.audit_head (id, seq, hash)
    VALUES (1, 0, decode(repeat('00', 32), 'hex'));
"""

_V1_FUNCTIONS = """
CREATE FUNCTION kubechat_audit.kubechat_audit_append(p_payload bytea)
RETURNS TABLE (seq bigint, prev_hash bytea, entry_hash bytea, at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_json jsonb;
    v_head_seq bigint;
    v_head_hash bytea;
    v_seq bigint;
    v_hash bytea;
    v_at timestamptz;
BEGIN
    IF p_payload IS NULL THEN
        RAISE EXCEPTION 'kubechat audit: payload is NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF octet_length(p_payload) > 1048576 THEN
        RAISE EXCEPTION 'kubechat audit: payload of % bytes exceeds the 1 MiB limit',
            octet_length(p_payload) USING ERRCODE = 'program_limit_exceeded';
    END IF;
    v_json := convert_from(p_payload, 'UTF8')::jsonb;
    IF jsonb_typeof(v_json) IS DISTINCT FROM 'object'
       OR jsonb_typeof(v_json -> 'type') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'kubechat audit: payload must be a JSON object with a string "type"'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- The head row lock serialises appends: the next writer waits here until this
    -- transaction ends, then (READ COMMITTED) sees the new head. No gaps, no forks.
    SELECT h.seq, h.hash INTO v_head_seq, v_head_hash
      FROM kubechat_audit.audit_head AS h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'kubechat audit: the audit_head row is missing'
            USING ERRCODE = 'data_corrupted';
    END IF;

    v_seq := v_head_seq + 1;
    v_hash := sha256(
        convert_to('kubechat-audit/v1', 'UTF8') || '\\x00'::bytea || int8send(v_seq)
        || v_head_hash || sha256(p_payload));
    v_at := clock_timestamp();

    INSERT INTO kubechat_audit.audit_event AS e
        (seq, prev_hash, entry_hash, payload, payload_json, at)
        VALUES (v_seq, v_head_hash, v_hash, p_payload, v_json, v_at);
    UPDATE kubechat_audit.audit_head AS h SET seq = v_seq, hash = v_hash WHERE h.id = 1;

    seq := v_seq;
    prev_hash := v_head_hash;
    entry_hash := v_hash;
    at := v_at;
    RETURN NEXT;
END
$fn$;

CREATE FUNCTION kubechat_audit.kubechat_audit_sync()
RETURNS pg_lsn
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- A transactional WAL record makes this transaction's commit write and flush WAL;
    -- the flush covers every earlier commit, so concurrent barriers share one fsync.
    PERFORM set_config('synchronous_commit', 'on', true);
    RETURN pg_logical_emit_message(true, 'kubechat-audit-sync', ''::text);
END
$fn$;

CREATE FUNCTION kubechat_audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION 'kubechat audit: % on %.% is refused: the audit log is append-only',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'append through kubechat_audit.kubechat_audit_append(payload bytea)';
END
$fn$;

CREATE FUNCTION kubechat_audit.guard_head() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NEW.id = OLD.id AND NEW.seq = OLD.seq + 1 AND EXISTS (
        SELECT 1 FROM kubechat_audit.audit_event AS e
         WHERE e.seq = NEW.seq AND e.entry_hash = NEW.hash AND e.prev_hash = OLD.hash)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'kubechat audit: audit_head may only advance to the row just appended'
        USING ERRCODE = 'insufficient_privilege';
END
$fn$;

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON kubechat_audit.audit_event
    FOR EACH ROW EXECUTE FUNCTION kubechat_audit.refuse_change();
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON kubechat_audit.audit_event
    FOR EACH ROW EXECUTE FUNCTION kubechat_audit.refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON kubechat_audit.audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION kubechat_audit.refuse_change();
CREATE TRIGGER audit_head_guard BEFORE UPDATE ON kubechat_audit.audit_head
    FOR EACH ROW EXECUTE FUNCTION kubechat_audit.guard_head();
CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON kubechat_audit.audit_head
    FOR EACH ROW EXECUTE FUNCTION kubechat_audit.refuse_change();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON kubechat_audit.audit_head
    FOR EACH ROW EXECUTE FUNCTION kubechat_audit.refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON kubechat_audit.audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION kubechat_audit.refuse_change();

REVOKE ALL ON FUNCTION kubechat_audit.kubechat_audit_append(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION kubechat_audit.kubechat_audit_sync() FROM PUBLIC;
REVOKE ALL ON FUNCTION kubechat_audit.refuse_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION kubechat_audit.guard_head() FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA kubechat_audit FROM PUBLIC;
"""

_V3_DURABLE_APPEND = """
CREATE PROCEDURE kubechat_audit.kubechat_audit_append_durable(
    p_payload bytea,
    INOUT seq bigint DEFAULT NULL,
    INOUT prev_hash bytea DEFAULT NULL,
    INOUT entry_hash bytea DEFAULT NULL,
    INOUT at timestamptz DEFAULT NULL)
LANGUAGE plpgsql
-- SECURITY INVOKER and no SET clause: both would forbid the COMMIT below. Every name is
-- schema-qualified; the privileged work happens in the two SECURITY DEFINER functions.
AS $fn$
BEGIN
    PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
    SELECT a.seq, a.prev_hash, a.entry_hash, a.at INTO seq, prev_hash, entry_hash, at
      FROM kubechat_audit.kubechat_audit_append(p_payload) AS a;
    -- Releases the head lock without waiting for the WAL flush ...
    COMMIT;
    -- ... which this transaction's synchronous commit (at the end of CALL) then covers.
    PERFORM kubechat_audit.kubechat_audit_sync();
END
$fn$;
REVOKE ALL ON PROCEDURE kubechat_audit.kubechat_audit_append_durable(
    bytea, bigint, bytea, bytea, timestamptz) FROM PUBLIC;
"""

# The LLM answer cache (kubechat_lab/translate/llm/cache.py, kubechat_lab/server/_answers.py):
# not part of the chain. ``key`` is sha256 of the canonical cache key (never the question's
# text); ``replies`` are the model's raw answers, replayed through every check on a hit.
_V4_ANSWER_CACHE = """
CREATE TABLE kubechat_audit.answer_cache (
    key        bytea       PRIMARY KEY CHECK (octet_length(key) = 32),
    provider   text        NOT NULL,
    model      text        NOT NULL,
    replies    text[]      NOT NULL CHECK (cardinality(replies) BETWEEN 1 AND 4),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    used_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    hits       bigint      NOT NULL DEFAULT 0 CHECK (hits >= 0)
);
CREATE INDEX answer_cache_used_at ON kubechat_audit.answer_cache (used_at);
COMMENT ON TABLE kubechat_audit.answer_cache IS
    'kubechat LLM answer cache: raw model replies by sha256 of (question, provider, model, '
    'previous turn, grounding digest, policy version); bounded by TTL and size';
REVOKE ALL ON kubechat_audit.answer_cache FROM PUBLIC;
"""

MIGRATIONS: Final[tuple[tuple[int, str, str], ...]] = (
    (1, "audit chain tables", _V1_TABLES),
    (2, "append/sync functions and append-only triggers", _V1_FUNCTIONS),
    (3, "durable append procedure (group commit in one CALL)", _V3_DURABLE_APPEND),
    (4, "LLM answer cache table", _V4_ANSWER_CACHE),
    STATE_MIGRATION,
)
"""``(version, name, SQL)`` in order; applied once each, recorded in ``schema_migrations``."""

_GRANTS = (
    "GRANT USAGE ON SCHEMA kubechat_audit TO {role}",
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
    " ON ALL TABLES IN SCHEMA kubechat_audit FROM {role}",
    "GRANT SELECT ON kubechat_audit.audit_event, kubechat_audit.audit_head,"
    " kubechat_audit.schema_migrations TO {role}",
    "GRANT EXECUTE ON FUNCTION kubechat_audit.kubechat_audit_append(bytea),"
    " kubechat_audit.kubechat_audit_sync() TO {role}",
    "GRANT EXECUTE ON PROCEDURE kubechat_audit.kubechat_audit_append_durable("
    "bytea, bigint, bytea, bytea, timestamptz) TO {role}",
    # the answer cache: read and bump a hit, store and replace, evict (never TRUNCATE)
    "GRANT SELECT, INSERT, UPDATE, DELETE ON kubechat_audit.answer_cache TO {role}",
    *STATE_GRANTS,
)


def apply_migrations(
    conn: psycopg.Connection[tuple[object, ...]],
    *,
    app_role: str = APP_ROLE,
    app_password: str | None = None,
) -> list[int]:
    """Bring the schema up to date and (re)grant the application role; idempotent.

    Parameters
    ----------
    conn
        An autocommit connection of the schema owner (a superuser, or a role with CREATEROLE
        and CREATE on the database).
    app_role
        Name of the application role to create (if missing) and grant.
    app_password
        When given, the role gets LOGIN with this password (set again on every call).
        Otherwise a new role is NOLOGIN and an existing role's login is left alone.

    Returns
    -------
    list of int
        The migration versions applied by this call (empty when already up to date).
    """
    applied_now: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK_KEY])
        conn.execute("CREATE SCHEMA IF NOT EXISTS kubechat_audit")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kubechat_audit.schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            row[0] for row in conn.execute("SELECT version FROM kubechat_audit.schema_migrations")
        }
        for version, name, statements in MIGRATIONS:
            if version in done:
                continue
            conn.execute(statements.encode())
            conn.execute(
                "INSERT INTO kubechat_audit.schema_migrations (version, name) VALUES (%s, %s)",
                [version, name],
            )
            logger.info("audit migration applied version=%d name=%r", version, name)
            applied_now.append(version)
        _ensure_role(conn, app_role, app_password)
        role = sql.Identifier(app_role)
        for grant in _GRANTS:
            conn.execute(sql.SQL(grant).format(role=role))
    return applied_now


def _ensure_role(
    conn: psycopg.Connection[tuple[object, ...]], app_role: str, app_password: str | None
) -> None:
    """Create the application role if missing; set its password when one is given."""
    role = sql.Identifier(app_role)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role]).fetchone()
    if exists is None:
        login = (
            sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(app_password))
            if app_password is not None
            else sql.SQL("NOLOGIN")
        )
        try:
            # Roles are cluster-wide: another database's migrate() may create it concurrently.
            with conn.transaction():
                conn.execute(
                    sql.SQL("CREATE ROLE {} {} NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                        role, login
                    )
                )
            logger.info("audit role created role=%s login=%s", app_role, app_password is not None)
            return
        except (errors.DuplicateObject, errors.UniqueViolation):
            pass
    if app_password is not None:
        conn.execute(
            sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(app_password))
        )
