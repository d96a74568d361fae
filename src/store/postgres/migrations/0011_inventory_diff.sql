-- 0011: the data-drop diff (domain/diff.ts). The sync an applied sync replaced keeps its rows
-- (so the applied sync can be compared with it); a diff between two kept syncs is worked out
-- once, in slices, into inventory_diff_rows, and its totals into inventory_diffs; pages are then
-- ranges of that table's key. Both go when either sync's inventory is deleted.

ALTER TABLE connectors ADD COLUMN previous_applied_sync_id text COLLATE "C";

CREATE TABLE inventory_diffs (
  sync_id      text COLLATE "C" NOT NULL,
  -- '' when the sync is compared with nothing (the connector's first data).
  base_sync_id text COLLATE "C" NOT NULL,
  -- JSON DiffTotals; NULL while the diff is being worked out.
  totals       text,
  created_at   bigint NOT NULL,
  PRIMARY KEY (sync_id, base_sync_id)
);
CREATE INDEX inventory_diffs_by_base ON inventory_diffs (base_sync_id);

CREATE TABLE inventory_diff_rows (
  sync_id          text COLLATE "C" NOT NULL,
  base_sync_id     text COLLATE "C" NOT NULL,
  kind             text COLLATE "C" NOT NULL,
  change           text COLLATE "C" NOT NULL,
  resource_type_id text COLLATE "C" NOT NULL,
  -- resources: the resource id (its type is resource_type_id); entitlements and grants: the id.
  item_id          text COLLATE "C" NOT NULL,
  PRIMARY KEY (sync_id, base_sync_id, kind, change, resource_type_id, item_id)
);
