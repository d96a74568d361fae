-- Labels on connectors (domain/labels.ts): a JSON object of key → value, '{}' for none. Bulk
-- operations select connectors by them.
ALTER TABLE connectors ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
