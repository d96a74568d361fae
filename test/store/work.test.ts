// Work signals (src/store/work.ts): a commit that made a sync or a task claimable calls the
// store's onWork listeners — in-process on SQLite, on every node through LISTEN/NOTIFY on
// PostgreSQL — and a commit that made none does not.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { newId } from "../../src/runtime.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { connectorRecord } from "../helpers/fixtures.js";
import { adminQuery, freshDatabaseUrl } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";

const NOW = Date.parse("2026-06-01T12:00:00Z");

/** Counts signals; `next()` resolves at the next one, or rejects after `ms`. */
function signals(store: Store) {
  let count = 0;
  let waiter: (() => void) | null = null;
  const stop = store.onWork(() => {
    count++;
    waiter?.();
  });
  return {
    stop,
    get count() {
      return count;
    },
    next(ms: number): Promise<number> {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no work signal within ${ms} ms`)), ms);
        waiter = () => {
          clearTimeout(timer);
          waiter = null;
          resolve(performance.now() - started);
        };
      });
    },
  };
}

async function seed(store: Store): Promise<{ appId: string; connectorId: string }> {
  const appId = newId();
  const connector = connectorRecord(appId, NOW, { config: { "@type": "t", path: "/p" } });
  await store.transaction(async (tx) => {
    await tx.insertApp({
      id: appId,
      displayName: "a",
      description: "",
      attributes: {},
      createdAt: NOW,
      updatedAt: NOW,
    });
    await tx.insertConnector(connector);
  });
  return { appId, connectorId: connector.id };
}

const queueSync = (store: Store, ids: { appId: string; connectorId: string }) =>
  store.transaction((tx) =>
    tx.insertSync({
      id: newId(),
      connectorId: ids.connectorId,
      appId: ids.appId,
      trigger: "FORCE",
      queuedAt: NOW,
      requestedBy: "t",
    }),
  );

const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("work signals", () => {
  const opened: Store[] = [];
  after(async () => {
    for (const store of opened) await store.close();
  });

  it("SQLite: a commit that queued a sync signals this process; one that queued none does not", async () => {
    const store = SqliteStore.open(join(tempDir("syncplane-work-"), "syncplane.db"));
    opened.push(store);
    const ids = await seed(store);
    const heard = signals(store);
    const next = heard.next(2000);
    await queueSync(store, ids);
    await next;
    const before = heard.count;
    await store.transaction((tx) => tx.insertHold(ids.connectorId, hold()));
    await quiet(50);
    assert.equal(heard.count, before, "a pause makes no work claimable");
    const released = heard.next(2000);
    await store.transaction((tx) => tx.deleteHold(ids.connectorId, "PAUSED"));
    await released;
    heard.stop();
  });

  it("PostgreSQL: a commit on one node wakes the others within milliseconds, and a rollback does not", async () => {
    const url = await freshDatabaseUrl();
    const a = await PostgresStore.open(url);
    const b = await PostgresStore.open(url);
    opened.push(a, b);
    const ids = await seed(a);
    const heard = signals(b);
    // The listening connection is opened by the first subscription: let it settle.
    await quiet(300);
    const next = heard.next(2000);
    await queueSync(a, ids);
    const ms = await next;
    assert.ok(ms < 1000, `heard after ${ms.toFixed(1)} ms`);

    const before = heard.count;
    await a.transaction((tx) => tx.cancelQueuedSyncs(ids.connectorId, "t", NOW));
    await assert.rejects(
      a.transaction(async (tx) => {
        await tx.insertSync({
          id: newId(),
          connectorId: ids.connectorId,
          appId: ids.appId,
          trigger: "FORCE",
          queuedAt: NOW,
          requestedBy: "t",
        });
        throw new Error("changed its mind");
      }),
      /changed its mind/,
    );
    await quiet(200);
    assert.equal(heard.count, before, "nothing committed, nothing heard");

    // The listening connection dies (a server restart): it comes back and hears again.
    await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'syncplane-listen' AND datname = $1`,
      [new URL(url).pathname.slice(1)],
    );
    // Signals sent while it was down are lost: it wakes its listeners once when it is back…
    await heard.next(8000);
    // …and hears the next commit.
    const again = heard.next(2000);
    await queueSync(a, ids);
    await again;
    heard.stop();
  });
});

function hold() {
  return { kind: "PAUSED" as const, actor: "t", note: "", createdAt: NOW };
}
