-- 0004: provisioning tasks (grant and revoke requests). `seq` is the queue order (creation
-- order); at most one task per connector runs at a time, and a request identical to an open
-- (QUEUED or HELD) task finds that task through request_key instead of adding a second one.

CREATE TABLE provisioning_tasks (
  seq                INTEGER PRIMARY KEY AUTOINCREMENT,
  id                 TEXT NOT NULL UNIQUE,
  app_id             TEXT NOT NULL,
  connector_id       TEXT NOT NULL,
  kind               TEXT NOT NULL,
  state              TEXT NOT NULL,
  request_key        TEXT NOT NULL,
  entitlement_id     TEXT NOT NULL DEFAULT '',
  principal_type_id  TEXT,
  principal_id       TEXT,
  grant_id           TEXT NOT NULL DEFAULT '',
  note               TEXT NOT NULL DEFAULT '',
  requested_by       TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  started_at         INTEGER,
  finished_at        INTEGER,
  result             TEXT NOT NULL DEFAULT '',
  error              TEXT NOT NULL DEFAULT '',
  lease_owner        TEXT,
  lease_expires_at   INTEGER,
  updated_at         INTEGER NOT NULL
);

CREATE INDEX provisioning_tasks_by_connector ON provisioning_tasks (connector_id, seq);
CREATE UNIQUE INDEX provisioning_tasks_one_open_request
  ON provisioning_tasks (connector_id, request_key) WHERE state IN ('QUEUED', 'HELD');
CREATE UNIQUE INDEX provisioning_tasks_one_running
  ON provisioning_tasks (connector_id) WHERE state = 'RUNNING';
CREATE INDEX provisioning_tasks_runnable ON provisioning_tasks (seq) WHERE state = 'QUEUED';
CREATE INDEX provisioning_tasks_leases ON provisioning_tasks (lease_expires_at) WHERE state = 'RUNNING';
