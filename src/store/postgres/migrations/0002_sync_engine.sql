-- 0002: the sync engine. A connector's current inventory is the rows of its applied sync;
-- applying a sync switches applied_sync_id in one statement. Rows of a sync held in
-- ERRORED_NO_DATA stay until it is confirmed or superseded.

ALTER TABLE connectors ADD COLUMN applied_sync_id text COLLATE "C";
-- Data-drop guard policy; NULL means the default (50 %, 10 rows).
ALTER TABLE connectors ADD COLUMN drop_threshold_percent double precision;
ALTER TABLE connectors ADD COLUMN drop_min_rows integer;

-- Resource types the connector marked exempt from the guard, as read by the sync (JSON list).
ALTER TABLE sync_lifecycles ADD COLUMN exempt_resource_type_ids text NOT NULL DEFAULT '[]';

CREATE TABLE inventory_resource_types (
  sync_id              text COLLATE "C" NOT NULL,
  id                   text COLLATE "C" NOT NULL,
  display_name         text NOT NULL,
  traits               text NOT NULL DEFAULT '[]',
  skip_data_drop_check smallint NOT NULL DEFAULT 0,
  PRIMARY KEY (sync_id, id)
);

CREATE TABLE inventory_resources (
  sync_id          text COLLATE "C" NOT NULL,
  resource_type_id text COLLATE "C" NOT NULL,
  resource_id      text COLLATE "C" NOT NULL,
  display_name     text NOT NULL,
  parent_type_id   text COLLATE "C",
  parent_id        text COLLATE "C",
  PRIMARY KEY (sync_id, resource_type_id, resource_id)
);

CREATE TABLE inventory_entitlements (
  sync_id          text COLLATE "C" NOT NULL,
  id               text COLLATE "C" NOT NULL,
  resource_type_id text COLLATE "C" NOT NULL,
  resource_id      text COLLATE "C" NOT NULL,
  slug             text NOT NULL,
  display_name     text NOT NULL,
  PRIMARY KEY (sync_id, id)
);

CREATE TABLE inventory_grants (
  sync_id           text COLLATE "C" NOT NULL,
  id                text COLLATE "C" NOT NULL,
  entitlement_id    text COLLATE "C" NOT NULL,
  principal_type_id text COLLATE "C" NOT NULL,
  principal_id      text COLLATE "C" NOT NULL,
  PRIMARY KEY (sync_id, id)
);

-- Every state a sync lifecycle went through, in order (sync history).
CREATE TABLE sync_events (
  sync_id text COLLATE "C" NOT NULL,
  seq     integer NOT NULL,
  at      bigint NOT NULL,
  state   text NOT NULL,
  attempt integer NOT NULL,
  error   text NOT NULL DEFAULT '',
  PRIMARY KEY (sync_id, seq)
);
