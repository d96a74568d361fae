-- 0001: the foundation (PostgreSQL twin of ../../sqlite/migrations/0001_initial.sql). Times are
-- epoch milliseconds (bigint); flags are 0/1 smallints; JSON columns hold text. Ids and keys
-- compare and sort with COLLATE "C" (byte order, as on SQLite) whatever the database's locale,
-- so keyset pages continue where they stopped.
-- Never edit a landed migration: add a new numbered file instead.

CREATE TABLE apps (
  id           text COLLATE "C" PRIMARY KEY,
  display_name text NOT NULL,
  description  text NOT NULL DEFAULT '',
  attributes   text NOT NULL DEFAULT '{}',
  created_at   bigint NOT NULL,
  updated_at   bigint NOT NULL,
  deleted_at   bigint
);

CREATE TABLE connectors (
  id                     text COLLATE "C" PRIMARY KEY,
  app_id                 text COLLATE "C" NOT NULL REFERENCES apps (id),
  display_name           text NOT NULL DEFAULT '',
  description            text NOT NULL DEFAULT '',
  catalog_id             text COLLATE "C" NOT NULL,
  config                 text,
  config_updated_at      bigint,
  disable_check_bad_sync smallint NOT NULL DEFAULT 0,
  sync_resource_type_ids text NOT NULL DEFAULT '[]',
  user_ids               text NOT NULL DEFAULT '[]',
  sync_status            text NOT NULL DEFAULT 'SYNC_STATUS_UNSPECIFIED',
  sync_started_at        bigint,
  sync_completed_at      bigint,
  sync_status_updated_at bigint,
  sync_last_error        text NOT NULL DEFAULT '',
  created_at             bigint NOT NULL,
  updated_at             bigint NOT NULL,
  deleted_at             bigint
);
CREATE INDEX connectors_by_app ON connectors (app_id, id) WHERE deleted_at IS NULL;

CREATE TABLE holds (
  connector_id text COLLATE "C" NOT NULL REFERENCES connectors (id),
  kind         text COLLATE "C" NOT NULL,
  actor        text NOT NULL,
  note         text NOT NULL DEFAULT '',
  created_at   bigint NOT NULL,
  PRIMARY KEY (connector_id, kind)
);

CREATE TABLE schedules (
  connector_id text COLLATE "C" PRIMARY KEY REFERENCES connectors (id),
  cron_spec    text NOT NULL,
  timezone     text NOT NULL,
  start_at     bigint NOT NULL,
  next_fire_at bigint,
  updated_at   bigint NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- The queue: one row per requested sync.
CREATE TABLE sync_lifecycles (
  id               text COLLATE "C" PRIMARY KEY,
  connector_id     text COLLATE "C" NOT NULL REFERENCES connectors (id),
  app_id           text COLLATE "C" NOT NULL,
  trigger          text NOT NULL,
  state            text COLLATE "C" NOT NULL,
  attempt          integer NOT NULL DEFAULT 0,
  queued_at        bigint NOT NULL,
  run_after        bigint NOT NULL,
  started_at       bigint,
  finished_at      bigint,
  lease_owner      text,
  lease_expires_at bigint,
  counts           text,
  baseline_counts  text,
  error            text NOT NULL DEFAULT '',
  requested_by     text NOT NULL DEFAULT '',
  updated_at       bigint NOT NULL
);
-- Coalescing and "never two running syncs" are invariants of the database, not of a process.
CREATE UNIQUE INDEX sync_lifecycles_one_queued
  ON sync_lifecycles (connector_id) WHERE state = 'QUEUED';
CREATE UNIQUE INDEX sync_lifecycles_one_running
  ON sync_lifecycles (connector_id) WHERE state = 'RUNNING';
CREATE INDEX sync_lifecycles_history ON sync_lifecycles (connector_id, queued_at, id);
CREATE INDEX sync_lifecycles_finished
  ON sync_lifecycles (connector_id, finished_at, id) WHERE finished_at IS NOT NULL;
CREATE INDEX sync_lifecycles_runnable ON sync_lifecycles (run_after) WHERE state = 'QUEUED';
CREATE INDEX sync_lifecycles_leases
  ON sync_lifecycles (lease_expires_at) WHERE state = 'RUNNING';

CREATE TABLE credentials (
  id           text COLLATE "C" PRIMARY KEY,
  client_id    text COLLATE "C" NOT NULL UNIQUE,
  name         text NOT NULL,
  role         text NOT NULL,
  connector_id text COLLATE "C",
  public_jwk   text NOT NULL,
  secret_hash  text NOT NULL,
  created_at   bigint NOT NULL,
  created_by   text NOT NULL,
  revoked_at   bigint,
  last_used_at bigint
);

CREATE TABLE access_tokens (
  token_hash    text COLLATE "C" PRIMARY KEY,
  credential_id text COLLATE "C" NOT NULL REFERENCES credentials (id),
  issued_at     bigint NOT NULL,
  expires_at    bigint NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

-- seq orders events (newest first) for paging; id is the public identifier.
CREATE TABLE audit_events (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id          text COLLATE "C" NOT NULL,
  at          bigint NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  object_type text COLLATE "C" NOT NULL,
  object_id   text COLLATE "C" NOT NULL,
  request_id  text NOT NULL,
  details     text NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_object ON audit_events (object_id, seq);

-- Server-wide settings, e.g. the public host that client ids name (see docs/auth.md).
CREATE TABLE settings (
  key        text COLLATE "C" PRIMARY KEY,
  value      text NOT NULL,
  updated_at bigint NOT NULL
);
