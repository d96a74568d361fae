-- Per-resource-type data-drop limits (domain/data-drop.ts DataDropPolicy.resourceTypes): a JSON
-- object of type id → {thresholdPercent, minRows}; NULL when the policy names no type.
ALTER TABLE connectors ADD COLUMN drop_type_limits TEXT;
