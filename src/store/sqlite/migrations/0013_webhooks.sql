-- 0013: webhooks (domain/webhooks.ts). A subscription names the event types it wants (one row
-- each, so that matching an event is a join); an event writes one delivery per matching
-- subscription in the transaction that caused it (the outbox); dispatchers claim due deliveries
-- by moving next_attempt_at to the end of their lease.

CREATE TABLE webhooks (
  id                TEXT PRIMARY KEY,
  url               TEXT NOT NULL,
  secret            TEXT NOT NULL,
  app_id            TEXT,
  failure_threshold INTEGER NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  created_by        TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  deleted_at        INTEGER
);

CREATE TABLE webhook_event_types (
  event_type TEXT NOT NULL,
  webhook_id TEXT NOT NULL REFERENCES webhooks (id),
  PRIMARY KEY (event_type, webhook_id)
) WITHOUT ROWID;

CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,
  webhook_id      TEXT NOT NULL REFERENCES webhooks (id),
  event_id        TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_owner     TEXT,
  last_status     INTEGER,
  last_error      TEXT NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  finished_at     INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE state = 'PENDING';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at, id);

-- A service-mode connector that stopped polling is reported once, until it calls in again.
ALTER TABLE connector_presence ADD COLUMN stopped_reported_at INTEGER;
