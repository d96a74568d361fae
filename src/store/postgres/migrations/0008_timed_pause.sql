-- Timed pauses (PauseSync's optional until): when a PAUSED hold ends by itself. The scheduler
-- looks for the ones that are due through the partial index.
ALTER TABLE holds ADD COLUMN until_at bigint;
CREATE INDEX holds_until ON holds (until_at) WHERE until_at IS NOT NULL;
