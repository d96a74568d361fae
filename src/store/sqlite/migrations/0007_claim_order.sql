-- Claims take the oldest queued sync (ORDER BY run_after, id): an index in exactly that order
-- lets a claim stop at the first runnable row instead of sorting every queued sync that shares
-- a run_after (a burst queued at one time).
CREATE INDEX sync_lifecycles_claim_order ON sync_lifecycles (run_after, id) WHERE state = 'QUEUED';
DROP INDEX sync_lifecycles_runnable;
