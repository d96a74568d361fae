-- 0003: reading the applied inventory through the API. Grants are looked up by entitlement and
-- by principal, entitlements by their resource; each key ends with the grant or entitlement id
-- so that pages continue where they stopped.
--
-- The lookup by principal is a table of its own rather than an index on inventory_grants: a sync
-- stages it in a second pass ordered by principal, so its inserts are appends. As an index it
-- would be written in grant order, one random page per row, and a million-grant sync would
-- write gigabytes of WAL.

CREATE INDEX inventory_grants_by_entitlement
  ON inventory_grants (sync_id, entitlement_id, id);
CREATE INDEX inventory_entitlements_by_resource
  ON inventory_entitlements (sync_id, resource_type_id, resource_id, id);

CREATE TABLE inventory_grant_principals (
  sync_id           TEXT NOT NULL,
  principal_type_id TEXT NOT NULL,
  principal_id      TEXT NOT NULL,
  grant_id          TEXT NOT NULL,
  PRIMARY KEY (sync_id, principal_type_id, principal_id, grant_id)
) WITHOUT ROWID;

-- Syncs stored before this migration get their lookup now.
INSERT INTO inventory_grant_principals (sync_id, principal_type_id, principal_id, grant_id)
  SELECT sync_id, principal_type_id, principal_id, id FROM inventory_grants;
