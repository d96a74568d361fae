-- 0003: reading the applied inventory through the API. Grants are looked up by entitlement and
-- by principal, entitlements by their resource; each key ends with the grant or entitlement id
-- so that pages continue where they stopped.
--
-- The lookup by principal is a table of its own rather than an index on inventory_grants, as on
-- SQLite (where a sync stages it in a second pass ordered by principal so that its inserts are
-- appends): both backends keep one schema, and the same queries.

CREATE INDEX inventory_grants_by_entitlement
  ON inventory_grants (sync_id, entitlement_id, id);
CREATE INDEX inventory_entitlements_by_resource
  ON inventory_entitlements (sync_id, resource_type_id, resource_id, id);

CREATE TABLE inventory_grant_principals (
  sync_id           text COLLATE "C" NOT NULL,
  principal_type_id text COLLATE "C" NOT NULL,
  principal_id      text COLLATE "C" NOT NULL,
  grant_id          text COLLATE "C" NOT NULL,
  PRIMARY KEY (sync_id, principal_type_id, principal_id, grant_id)
);

-- Syncs stored before this migration get their lookup now.
INSERT INTO inventory_grant_principals (sync_id, principal_type_id, principal_id, grant_id)
  SELECT sync_id, principal_type_id, principal_id, id FROM inventory_grants;
