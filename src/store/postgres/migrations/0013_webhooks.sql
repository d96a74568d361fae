-- 0013: webhooks (domain/webhooks.ts). A subscription names the event types it wants (one row
-- each, so that matching an event is a join); an event writes one delivery per matching
-- subscription in the transaction that caused it (the outbox); dispatchers claim due deliveries
-- by moving next_attempt_at to the end of their lease.

CREATE TABLE webhooks (
  id                text COLLATE "C" PRIMARY KEY,
  url               text COLLATE "C" NOT NULL,
  secret            text COLLATE "C" NOT NULL,
  app_id            text COLLATE "C",
  failure_threshold bigint NOT NULL,
  description       text NOT NULL DEFAULT '',
  created_by        text COLLATE "C" NOT NULL,
  created_at        bigint NOT NULL,
  updated_at        bigint NOT NULL,
  deleted_at        bigint
);

CREATE TABLE webhook_event_types (
  event_type text COLLATE "C" NOT NULL,
  webhook_id text COLLATE "C" NOT NULL REFERENCES webhooks (id),
  PRIMARY KEY (event_type, webhook_id)
);

CREATE TABLE webhook_deliveries (
  id              text COLLATE "C" PRIMARY KEY,
  webhook_id      text COLLATE "C" NOT NULL REFERENCES webhooks (id),
  event_id        text COLLATE "C" NOT NULL,
  event_type      text COLLATE "C" NOT NULL,
  payload         text COLLATE "C" NOT NULL,
  state           text COLLATE "C" NOT NULL,
  attempts        bigint NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  lease_owner     text COLLATE "C",
  last_status     bigint,
  last_error      text NOT NULL DEFAULT '',
  created_at      bigint NOT NULL,
  finished_at     bigint
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE state = 'PENDING';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at, id);

-- A service-mode connector that stopped polling is reported once, until it calls in again.
ALTER TABLE connector_presence ADD COLUMN stopped_reported_at bigint;
