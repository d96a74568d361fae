-- 0014: a running sync's progress (domain/progress.ts) as JSON {attempt, phase, message, at},
-- written by the worker that holds its lease with each renewal.
ALTER TABLE sync_lifecycles ADD COLUMN progress TEXT;
