-- 0006: sync files shared by every node (src/artifacts/postgres.ts). Each sync's c1z and log,
-- and each provisioning task's log, is one artifact_files row; its bytes are artifact_chunks
-- rows in order (bytea, up to 1 MiB for a c1z, one flush of lines for a log), so files of
-- hundreds of MB are written and read a chunk at a time.
--
-- A c1z is written as an incomplete row plus its chunks, then made visible in one transaction
-- that marks it complete and drops the c1z it replaces: readers only ever see complete files.
-- A log is complete from the start and grows a chunk per flush. Incomplete rows left by a node
-- that died while writing are swept by retention once they stopped growing.

CREATE TABLE artifact_files (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connector_id  text COLLATE "C" NOT NULL,
  -- 'c1z' and 'log' of a sync, 'task_log' of a provisioning task
  kind          text COLLATE "C" NOT NULL CHECK (kind IN ('c1z', 'log', 'task_log')),
  -- the sync or task id (a KSUID: newest sorts last)
  item_id       text COLLATE "C" NOT NULL,
  size          bigint NOT NULL DEFAULT 0,
  chunks        integer NOT NULL DEFAULT 0,
  complete      boolean NOT NULL DEFAULT false,
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL
);

-- At most one visible file per name; any number being written.
CREATE UNIQUE INDEX artifact_files_by_name ON artifact_files (connector_id, kind, item_id)
  WHERE complete;
CREATE INDEX artifact_files_incomplete ON artifact_files (connector_id, updated_at)
  WHERE NOT complete;

CREATE TABLE artifact_chunks (
  file_id  bigint NOT NULL REFERENCES artifact_files (id) ON DELETE CASCADE,
  seq      integer NOT NULL,
  data     bytea NOT NULL,
  PRIMARY KEY (file_id, seq)
);
