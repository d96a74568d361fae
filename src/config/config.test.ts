import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStoreConfig } from "./config.js";

describe("store configuration", () => {
  it("takes a postgres:// URL and a pool size, and keeps passwords out of errors", () => {
    const config = parseStoreConfig(
      { dataDir: "/tmp/x", databaseUrl: "postgres://u:p@db:5432/sp", databasePoolSize: "25" },
      {},
    );
    assert.equal(config.databaseUrl, "postgres://u:p@db:5432/sp");
    assert.equal(config.databasePoolSize, 25);
    assert.equal(parseStoreConfig({}, {}).databaseUrl, null);
    assert.equal(parseStoreConfig({}, { SYNCPLANE_DATABASE_POOL_SIZE: "4" }).databasePoolSize, 4);
    assert.throws(
      () => parseStoreConfig({ databaseUrl: "mysql://u:secret@db/sp" }, {}),
      (error: unknown) =>
        error instanceof ConfigError &&
        /must be a postgres:\/\/ URL/.test(error.message) &&
        !error.message.includes("secret"),
    );
    for (const bad of ["1", "0", "x", "201", "2.5"]) {
      assert.throws(() => parseStoreConfig({ databasePoolSize: bad }, {}), /--database-pool-size/);
    }
  });
});
