-- 0011: the data-drop diff (domain/diff.ts). The sync an applied sync replaced keeps its rows
-- (so the applied sync can be compared with it); a diff between two kept syncs is worked out
-- once, in slices, into inventory_diff_rows, and its totals into inventory_diffs; pages are then
-- ranges of that table's key. Both go when either sync's inventory is deleted.

ALTER TABLE connectors ADD COLUMN previous_applied_sync_id TEXT;

CREATE TABLE inventory_diffs (
  sync_id      TEXT NOT NULL,
  -- '' when the sync is compared with nothing (the connector's first data).
  base_sync_id TEXT NOT NULL,
  -- JSON DiffTotals; NULL while the diff is being worked out.
  totals       TEXT,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (sync_id, base_sync_id)
) WITHOUT ROWID;
CREATE INDEX inventory_diffs_by_base ON inventory_diffs (base_sync_id);

CREATE TABLE inventory_diff_rows (
  sync_id          TEXT NOT NULL,
  base_sync_id     TEXT NOT NULL,
  kind             TEXT NOT NULL,
  change           TEXT NOT NULL,
  resource_type_id TEXT NOT NULL,
  -- resources: the resource id (its type is resource_type_id); entitlements and grants: the id.
  item_id          TEXT NOT NULL,
  PRIMARY KEY (sync_id, base_sync_id, kind, change, resource_type_id, item_id)
) WITHOUT ROWID;
