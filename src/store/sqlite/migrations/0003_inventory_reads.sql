-- 0003: reading the applied inventory through the API. Grants are looked up by principal and by
-- entitlement, entitlements by their resource; each index ends with the primary key so that
-- pages continue where they stopped.

CREATE INDEX inventory_grants_by_principal
  ON inventory_grants (sync_id, principal_type_id, principal_id, id);
CREATE INDEX inventory_grants_by_entitlement
  ON inventory_grants (sync_id, entitlement_id, id);
CREATE INDEX inventory_entitlements_by_resource
  ON inventory_entitlements (sync_id, resource_type_id, resource_id, id);
