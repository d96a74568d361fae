-- 0014: a running sync's progress (domain/progress.ts) as JSON {attempt, phase, message, at},
-- written by the worker that holds its lease with each renewal; and a held sync's data drops
-- (domain/data-drop.ts CountDrop[]: what fell, by how much, which rule and limits fired), kept as
-- they were when it was checked.
ALTER TABLE sync_lifecycles ADD COLUMN progress TEXT;
ALTER TABLE sync_lifecycles ADD COLUMN data_drops TEXT;
