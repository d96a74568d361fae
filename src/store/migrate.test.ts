import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadMigrations, pendingMigrations } from "./migrate.js";

const all = [
  { version: 1, name: "initial", sql: "" },
  { version: 2, name: "more", sql: "" },
];

describe("migrations", () => {
  it("are numbered files applied in order", () => {
    const sqlite = loadMigrations(new URL("./sqlite/migrations/", import.meta.url));
    assert.ok(sqlite.length >= 1);
    assert.deepEqual(
      sqlite.map((m) => m.version),
      sqlite.map((_, i) => i + 1),
      "numbered 0001, 0002, … without gaps",
    );
  });
  it("pending ones are those not yet applied", () => {
    assert.deepEqual(
      pendingMigrations(all, []).map((m) => m.version),
      [1, 2],
    );
    assert.deepEqual(
      pendingMigrations(all, [1]).map((m) => m.version),
      [2],
    );
    assert.deepEqual(pendingMigrations(all, [1, 2]), []);
  });
  it("refuse a database written by a newer version", () => {
    assert.throws(
      () => pendingMigrations(all, [1, 2, 3]),
      /migration\(s\) 3 that this syncplane does not know/,
    );
  });
});
