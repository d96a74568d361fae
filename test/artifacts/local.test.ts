// The Artifacts contract on local disk (with the embedded SQLite store), plus what is particular
// to it: the files' layout under the data dir, and the SQLite counterpart of the PostgreSQL
// artifacts migration, which creates nothing.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { LocalArtifacts } from "../../src/artifacts/local.js";
import { openArtifacts } from "../../src/artifacts/open.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { tempDir } from "../helpers/server.js";
import { artifactContract, CONTRACT_RETENTION } from "./contract.js";

artifactContract("local disk", async () => {
  const dir = tempDir("syncplane-artifacts-");
  const store = await SqliteStore.open(join(dir, "syncplane.db"));
  const artifacts = new LocalArtifacts(join(dir, "artifacts"), CONTRACT_RETENTION);
  return {
    store,
    artifacts,
    peer: async () => new LocalArtifacts(join(dir, "artifacts"), CONTRACT_RETENTION),
    close: async () => {
      await artifacts.close();
      await store.close();
    },
  };
});

describe("local artifacts", () => {
  it("are chosen without a database URL, under <data-dir>/artifacts", async () => {
    const dataDir = tempDir("syncplane-artifacts-");
    const artifacts = await openArtifacts({ dataDir, databaseUrl: null, artifactRetention: 4 });
    assert.ok(artifacts instanceof LocalArtifacts);
    assert.equal(artifacts.backend, "disk");
    assert.equal(artifacts.retention, 4);
    const log = await artifacts.openTaskLog("connector1", "task1");
    await log.close();
    assert.deepEqual(readdirSync(join(dataDir, "artifacts", "connector1", "tasks")), ["task1.log"]);
    await artifacts.close();
  });

  it("SQLite records migration 6 (artifacts), which creates no table", async () => {
    const dir = tempDir("syncplane-artifacts-");
    const path = join(dir, "syncplane.db");
    const store = await SqliteStore.open(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      const versions = db
        .prepare("SELECT version, name FROM schema_migrations ORDER BY version")
        .all() as { version: number; name: string }[];
      assert.deepEqual(
        versions.find((v) => v.version === 6),
        { version: 6, name: "artifacts" },
      );
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'artifact%'")
        .all();
      assert.deepEqual(tables, []);
    } finally {
      db.close();
    }
    // Opening it again finds nothing left to apply.
    await (await SqliteStore.open(path)).close();
  });
});
