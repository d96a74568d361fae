-- 0004: provisioning tasks (grant and revoke requests). `seq` is the queue order (creation
-- order); at most one task per connector runs at a time, and a request identical to an open
-- (QUEUED or HELD) task finds that task through request_key instead of adding a second one.

CREATE TABLE provisioning_tasks (
  seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                 text COLLATE "C" NOT NULL UNIQUE,
  app_id             text COLLATE "C" NOT NULL,
  connector_id       text COLLATE "C" NOT NULL,
  kind               text NOT NULL,
  state              text COLLATE "C" NOT NULL,
  request_key        text COLLATE "C" NOT NULL,
  entitlement_id     text NOT NULL DEFAULT '',
  principal_type_id  text,
  principal_id       text,
  grant_id           text NOT NULL DEFAULT '',
  note               text NOT NULL DEFAULT '',
  requested_by       text NOT NULL,
  created_at         bigint NOT NULL,
  started_at         bigint,
  finished_at        bigint,
  result             text NOT NULL DEFAULT '',
  error              text NOT NULL DEFAULT '',
  lease_owner        text,
  lease_expires_at   bigint,
  updated_at         bigint NOT NULL
);

CREATE INDEX provisioning_tasks_by_connector ON provisioning_tasks (connector_id, seq);
CREATE UNIQUE INDEX provisioning_tasks_one_open_request
  ON provisioning_tasks (connector_id, request_key) WHERE state IN ('QUEUED', 'HELD');
CREATE UNIQUE INDEX provisioning_tasks_one_running
  ON provisioning_tasks (connector_id) WHERE state = 'RUNNING';
CREATE INDEX provisioning_tasks_runnable ON provisioning_tasks (seq) WHERE state = 'QUEUED';
CREATE INDEX provisioning_tasks_leases
  ON provisioning_tasks (lease_expires_at) WHERE state = 'RUNNING';
