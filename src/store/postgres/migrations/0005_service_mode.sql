-- 0005: baton connectors in service mode. A connector process dials in (Hello, GetTask, …);
-- what it said about itself and when it last called in is its presence. A sync or provisioning
-- task it runs is leased to "service:<connector id>" like a local worker's lease.

CREATE TABLE connector_presence (
  connector_id   text COLLATE "C" PRIMARY KEY,
  host_id        text NOT NULL DEFAULT '',
  sdk            text NOT NULL DEFAULT '',
  capabilities   text NOT NULL DEFAULT '[]',
  hello_at       bigint,
  last_seen_at   bigint NOT NULL,
  -- the poll interval the server last gave it: "not connected" after a few missed polls
  poll_ms        bigint NOT NULL DEFAULT 0
);
