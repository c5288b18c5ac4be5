"""The shared-state tables: proposals, capabilities and conversation turns next to the chain.

Several server processes serve one hub through one database, and a restart keeps what is
pending, because this state lives in PostgreSQL (schema ``kubechat_state``) instead of a
process's memory:

- ``proposal``: one row per proposal, its ``state`` a column (so a decision is a compare-and-set
  ``UPDATE ... WHERE state = ANY(expected)`` under a ``SELECT ... FOR UPDATE`` claim) and the
  rest a ``body`` document. A command's secret values are never written: ``body`` keeps the
  command redacted (``kubechat_lab/pipeline/_pg_proposals.py``).
- ``capability``: one row per capability, keyed by ``digest`` (hex sha256 of the token); the
  token itself is never stored. Revoking deletes the row, for every process at once.
- ``conversation_turn``: the last turns of each (owner, conversation), redacted as the
  translator sees them.
- ``approval_login``: the approval page's one-time login codes and sessions, by the sha256
  of their token, so a code minted by one process is redeemed by another.

Quotas of concurrent work need no table: a slot is a session-level advisory lock, which
PostgreSQL releases by itself when the process holding it dies (``kubechat_lab/server/_quotas.py``).

The application role may SELECT, INSERT, UPDATE and DELETE these tables, nothing else; the
audit chain stays append-only and its grants are unchanged.
"""

from __future__ import annotations

from typing import Final

__all__ = ["STATE_GRANTS", "STATE_MIGRATION", "STATE_SCHEMA"]

STATE_SCHEMA: Final = "kubechat_state"
"""The PostgreSQL schema of the shared state."""

# Applied once per chain (its version is recorded in kubechat_audit.schema_migrations): a
# kubechat_state left over from a chain that was dropped refers to events that are gone.
_SQL = """
DROP SCHEMA IF EXISTS kubechat_state CASCADE;
CREATE SCHEMA kubechat_state;
REVOKE ALL ON SCHEMA kubechat_state FROM PUBLIC;

CREATE TABLE kubechat_state.proposal (
    id        text             PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,80}$'),
    state     text             NOT NULL,
    user_name text             NOT NULL,
    owner     text             NOT NULL,
    created   double precision NOT NULL,
    expires   double precision NOT NULL,
    body      jsonb            NOT NULL
);
CREATE INDEX proposal_waiting ON kubechat_state.proposal (state, expires);

CREATE TABLE kubechat_state.capability (
    digest    text             PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
    id        text             NOT NULL UNIQUE,
    user_name text             NOT NULL,
    scopes    text[]           NOT NULL,
    origin    text             NOT NULL,
    kernel_id text,
    label     text             NOT NULL,
    created   double precision NOT NULL,
    expires   double precision NOT NULL
);
CREATE INDEX capability_kernel ON kubechat_state.capability (kernel_id);

CREATE TABLE kubechat_state.conversation_turn (
    n            bigserial        PRIMARY KEY,
    owner        text             NOT NULL,
    conversation text             NOT NULL,
    proposal     text,
    at           double precision NOT NULL,
    turn         jsonb            NOT NULL
);
CREATE INDEX conversation_turn_key ON kubechat_state.conversation_turn (owner, conversation, n);
CREATE INDEX conversation_turn_proposal ON kubechat_state.conversation_turn (proposal);

CREATE TABLE kubechat_state.approval_login (
    digest    text             PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
    kind      text             NOT NULL CHECK (kind IN ('code', 'session')),
    user_name text             NOT NULL,
    groups    text[]           NOT NULL DEFAULT '{}',
    expires   double precision NOT NULL,
    xsrf      text             NOT NULL DEFAULT ''
);

REVOKE ALL ON ALL TABLES IN SCHEMA kubechat_state FROM PUBLIC;
"""

STATE_MIGRATION: Final = (
    5, "shared state: proposals, capabilities, conversation turns, approval logins", _SQL)
"""``(version, name, SQL)`` of the shared-state migration (appended to ``MIGRATIONS``)."""

STATE_GRANTS: Final = (
    "GRANT USAGE ON SCHEMA kubechat_state TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON kubechat_state.proposal,"
    " kubechat_state.capability, kubechat_state.conversation_turn,"
    " kubechat_state.approval_login TO {role}",
    "GRANT USAGE ON SEQUENCE kubechat_state.conversation_turn_n_seq TO {role}",
)
"""Grants of the application role on the shared state (applied with the audit grants)."""
