import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { readC1z } from "../../src/connectors/baton/c1z.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { writeC1z } from "../helpers/c1z.js";
import { tempDir } from "../helpers/server.js";
import { storeContract } from "./contract.js";

storeContract("sqlite", async () =>
  SqliteStore.open(join(tempDir("syncplane-store-"), "syncplane.db")),
);

// Grants staged straight from a decompressed c1z on worker threads (bulk-grants.ts): every grant
// and its lookup by principal, in slices that leave the server's own commands their turns.
describe("SQLite store: grants staged from a c1z file", () => {
  it("copies every grant and the lookup by principal, while commands keep committing", async () => {
    const dir = tempDir("syncplane-bulk-grants-");
    const store = SqliteStore.open(join(dir, "syncplane.db"));
    try {
      const users = 45_000; // more than two slices of 20,000
      const path = join(dir, "sync.c1z");
      await writeC1z(path, {
        resourceTypes: [
          { id: "user", displayName: "User", traits: ["USER"] },
          { id: "group", displayName: "Group", traits: ["GROUP"] },
        ],
        resources: [{ resourceTypeId: "group", resourceId: "g", displayName: "G" }],
        entitlements: [
          { resourceTypeId: "group", resourceId: "g", slug: "member", displayName: "M" },
        ],
        grants: Array.from({ length: users }, (_, i) => ({
          entitlementId: "group:g:member",
          principal: { resourceTypeId: "user", resourceId: `u${String(i).padStart(5, "0")}` },
        })),
      });
      const c1z = await readC1z(path, join(dir, "sync.sqlite"));
      try {
        // A command every few milliseconds meanwhile: none may wait long for the writer.
        let slowest = 0;
        let commands = 0;
        let staging = true;
        const ticking = (async () => {
          while (staging) {
            const started = performance.now();
            await store.transaction((tx) => tx.putSetting("tick", String(commands++), Date.now()));
            slowest = Math.max(slowest, performance.now() - started);
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        })();
        const staged = await store.stageGrantsFromFile?.("S1", {
          dbPath: join(dir, "sync.sqlite"),
          runId: c1z.syncId,
        });
        staging = false;
        await ticking;
        assert.equal(staged, users);
        assert.equal((await store.inventoryRowCounts("S1")).grants, users);
        assert.ok(commands > 3, `commands committed meanwhile: ${commands}`);
        assert.ok(slowest < 2_000, `slowest command while staging: ${slowest.toFixed(0)} ms`);
        const byPrincipal = await store.listInventoryGrants(
          "S1",
          { principal: { resourceTypeId: "user", resourceId: "u44999" } },
          { pageSize: 5, after: null },
        );
        assert.deepEqual(
          byPrincipal.items.map((g) => g.id),
          ["group:g:member:user:u44999"],
        );
        const ofType = await store.listInventoryGrants(
          "S1",
          { principal: { resourceTypeId: "user" } },
          { pageSize: 2, after: null },
        );
        assert.deepEqual(
          ofType.items.map((g) => g.principal.resourceId),
          ["u00000", "u00001"],
        );
      } finally {
        c1z.close();
      }
    } finally {
      await store.close();
    }
  });

  it("fails with the reason and leaves no thread running when the file is not a c1z", async () => {
    const dir = tempDir("syncplane-bulk-grants-bad-");
    const store = SqliteStore.open(join(dir, "syncplane.db"));
    try {
      const notC1z = join(dir, "empty.sqlite");
      new Database(notC1z).close();
      await assert.rejects(
        store.stageGrantsFromFile?.("S1", { dbPath: notC1z, runId: "x" }) ?? Promise.reject(),
        /staging (grants|principals) from the c1z failed: no such table: c1z\.v1_grants/,
      );
      await store.transaction((tx) => tx.putSetting("after", "1", Date.now()));
    } finally {
      await store.close();
    }
  });
});
