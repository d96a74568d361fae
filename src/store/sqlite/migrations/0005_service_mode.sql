-- 0005: baton connectors in service mode. A connector process dials in (Hello, GetTask, …);
-- what it said about itself and when it last called in is its presence. A sync or provisioning
-- task it runs is leased to "service:<connector id>" like a local worker's lease.

CREATE TABLE connector_presence (
  connector_id   TEXT PRIMARY KEY,
  host_id        TEXT NOT NULL DEFAULT '',
  sdk            TEXT NOT NULL DEFAULT '',
  capabilities   TEXT NOT NULL DEFAULT '[]',
  hello_at       INTEGER,
  last_seen_at   INTEGER NOT NULL,
  -- the poll interval the server last gave it: "not connected" after a few missed polls
  poll_ms        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
