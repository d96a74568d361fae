-- 0002: the sync engine. A connector's current inventory is the rows of its applied sync;
-- applying a sync switches applied_sync_id in one statement. Rows of a sync held in
-- ERRORED_NO_DATA stay until it is confirmed or superseded.

ALTER TABLE connectors ADD COLUMN applied_sync_id TEXT;
-- Data-drop guard policy; NULL means the default (50 %, 10 rows).
ALTER TABLE connectors ADD COLUMN drop_threshold_percent REAL;
ALTER TABLE connectors ADD COLUMN drop_min_rows INTEGER;

-- Resource types the connector marked exempt from the guard, as read by the sync (JSON list).
ALTER TABLE sync_lifecycles ADD COLUMN exempt_resource_type_ids TEXT NOT NULL DEFAULT '[]';

CREATE TABLE inventory_resource_types (
  sync_id                TEXT NOT NULL,
  id                     TEXT NOT NULL,
  display_name           TEXT NOT NULL,
  traits                 TEXT NOT NULL DEFAULT '[]',
  skip_data_drop_check   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (sync_id, id)
) WITHOUT ROWID;

CREATE TABLE inventory_resources (
  sync_id          TEXT NOT NULL,
  resource_type_id TEXT NOT NULL,
  resource_id      TEXT NOT NULL,
  display_name     TEXT NOT NULL,
  parent_type_id   TEXT,
  parent_id        TEXT,
  PRIMARY KEY (sync_id, resource_type_id, resource_id)
) WITHOUT ROWID;

CREATE TABLE inventory_entitlements (
  sync_id          TEXT NOT NULL,
  id               TEXT NOT NULL,
  resource_type_id TEXT NOT NULL,
  resource_id      TEXT NOT NULL,
  slug             TEXT NOT NULL,
  display_name     TEXT NOT NULL,
  PRIMARY KEY (sync_id, id)
) WITHOUT ROWID;

CREATE TABLE inventory_grants (
  sync_id           TEXT NOT NULL,
  id                TEXT NOT NULL,
  entitlement_id    TEXT NOT NULL,
  principal_type_id TEXT NOT NULL,
  principal_id      TEXT NOT NULL,
  PRIMARY KEY (sync_id, id)
) WITHOUT ROWID;

-- Every state a sync lifecycle went through, in order (sync history).
CREATE TABLE sync_events (
  sync_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  at      INTEGER NOT NULL,
  state   TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  error   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (sync_id, seq)
) WITHOUT ROWID;
