-- 0001: the foundation. Times are epoch milliseconds; JSON columns hold text.
-- Never edit a landed migration: add a new numbered file instead.

CREATE TABLE apps (
  id           TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  attributes   TEXT NOT NULL DEFAULT '{}',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  deleted_at   INTEGER
);

CREATE TABLE connectors (
  id                     TEXT PRIMARY KEY,
  app_id                 TEXT NOT NULL REFERENCES apps (id),
  display_name           TEXT NOT NULL DEFAULT '',
  description            TEXT NOT NULL DEFAULT '',
  catalog_id             TEXT NOT NULL,
  config                 TEXT,
  config_updated_at      INTEGER,
  disable_check_bad_sync INTEGER NOT NULL DEFAULT 0,
  sync_resource_type_ids TEXT NOT NULL DEFAULT '[]',
  user_ids               TEXT NOT NULL DEFAULT '[]',
  sync_status            TEXT NOT NULL DEFAULT 'SYNC_STATUS_UNSPECIFIED',
  sync_started_at        INTEGER,
  sync_completed_at      INTEGER,
  sync_status_updated_at INTEGER,
  sync_last_error        TEXT NOT NULL DEFAULT '',
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  deleted_at             INTEGER
);
CREATE INDEX connectors_by_app ON connectors (app_id, id) WHERE deleted_at IS NULL;

CREATE TABLE holds (
  connector_id TEXT NOT NULL REFERENCES connectors (id),
  kind         TEXT NOT NULL,
  actor        TEXT NOT NULL,
  note         TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (connector_id, kind)
) WITHOUT ROWID;

CREATE TABLE schedules (
  connector_id TEXT PRIMARY KEY REFERENCES connectors (id),
  cron_spec    TEXT NOT NULL,
  timezone     TEXT NOT NULL,
  start_at     INTEGER NOT NULL,
  next_fire_at INTEGER,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- The queue: one row per requested sync.
CREATE TABLE sync_lifecycles (
  id               TEXT PRIMARY KEY,
  connector_id     TEXT NOT NULL REFERENCES connectors (id),
  app_id           TEXT NOT NULL,
  trigger          TEXT NOT NULL,
  state            TEXT NOT NULL,
  attempt          INTEGER NOT NULL DEFAULT 0,
  queued_at        INTEGER NOT NULL,
  run_after        INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  counts           TEXT,
  baseline_counts  TEXT,
  error            TEXT NOT NULL DEFAULT '',
  requested_by     TEXT NOT NULL DEFAULT '',
  updated_at       INTEGER NOT NULL
) WITHOUT ROWID;
-- Coalescing and "never two running syncs" are invariants of the database, not of a process.
CREATE UNIQUE INDEX sync_lifecycles_one_queued ON sync_lifecycles (connector_id) WHERE state = 'QUEUED';
CREATE UNIQUE INDEX sync_lifecycles_one_running ON sync_lifecycles (connector_id) WHERE state = 'RUNNING';
CREATE INDEX sync_lifecycles_history ON sync_lifecycles (connector_id, queued_at, id);
CREATE INDEX sync_lifecycles_finished ON sync_lifecycles (connector_id, finished_at, id) WHERE finished_at IS NOT NULL;
CREATE INDEX sync_lifecycles_runnable ON sync_lifecycles (run_after) WHERE state = 'QUEUED';
CREATE INDEX sync_lifecycles_leases ON sync_lifecycles (lease_expires_at) WHERE state = 'RUNNING';

CREATE TABLE credentials (
  id           TEXT PRIMARY KEY,
  client_id    TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL,
  connector_id TEXT,
  public_jwk   TEXT NOT NULL,
  secret_hash  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  revoked_at   INTEGER,
  last_used_at INTEGER
);

CREATE TABLE access_tokens (
  token_hash    TEXT PRIMARY KEY,
  credential_id TEXT NOT NULL REFERENCES credentials (id),
  issued_at     INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

-- seq orders events (newest first) for paging; id is the public identifier.
CREATE TABLE audit_events (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id   TEXT NOT NULL,
  request_id  TEXT NOT NULL,
  details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_object ON audit_events (object_id, seq);

-- Server-wide settings, e.g. the public host that client ids name (see docs/auth.md).
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
