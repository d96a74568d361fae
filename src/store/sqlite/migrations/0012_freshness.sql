-- 0012: freshness targets (domain/freshness.ts). A schedule with max_age_ms is planned from the
-- applied sync's start instead of by its cron (cron_spec is then ''); expected_ms is the sync
-- duration the last plan assumed, which the scheduler uses to decide when to look again.
ALTER TABLE schedules ADD COLUMN max_age_ms INTEGER;
ALTER TABLE schedules ADD COLUMN expected_ms INTEGER;
