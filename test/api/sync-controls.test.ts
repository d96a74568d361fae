// The five seed operations over real HTTP against a real SQLite store.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SyncState } from "../../src/domain/syncs.js";
import { newId } from "../../src/runtime.js";
import { createAppAndConnector, startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function connector(base: string): Promise<Json> {
  const response = await server.call("GET", base);
  assert.equal(response.status, 200);
  return (response.body.connectorView as Json).connector as Json;
}

async function syncs(base: string): Promise<Json[]> {
  const response = await server.call("GET", `${base}/syncs?page_size=500`);
  assert.equal(response.status, 200);
  return response.body.list as Json[];
}

const queued = async (base: string) =>
  (await syncs(base)).filter((sync) => sync.state === "QUEUED");

function assertError(
  response: { status: number; body: Json },
  status: number,
  code: number,
  message?: RegExp,
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.code, code);
  assert.deepEqual(response.body.details, []);
  assert.equal(typeof response.body.message, "string");
  if (message) assert.match(response.body.message, message);
}

/** Puts a finished sync into the store, as the sync engine would. */
async function seedSync(
  connectorId: string,
  appId: string,
  state: SyncState,
  finishedAt: number,
  durationMs = 500,
): Promise<string> {
  const id = newId();
  const startedAt = finishedAt - durationMs;
  await server.server.store.transaction(async (tx) => {
    await tx.cancelQueuedSyncs(connectorId, "test setup", finishedAt);
    await tx.insertSync({
      id,
      connectorId,
      appId,
      trigger: "SCHEDULE",
      queuedAt: Math.min(finishedAt - 1000, startedAt - 10),
      requestedBy: "test",
    });
    await tx.startSync(id, "test", startedAt, finishedAt + 60_000);
    await tx.finishSync(id, {
      state,
      finishedAt,
      error: state === "ERRORED_NO_DATA" ? "user: 100 → 1 (-99.0%)" : "",
    });
  });
  return id;
}

async function addDataDropHold(connectorId: string) {
  await server.server.store.transaction((tx) =>
    tx.insertHold(connectorId, {
      kind: "DATA_DROP",
      actor: "system",
      note: "user: 100 → 1 (-99.0%)",
      createdAt: Date.now(),
    }),
  );
}

describe("new connectors", () => {
  it("get an hourly schedule at a spread minute and an INITIAL sync", async () => {
    const { base } = await createAppAndConnector(server);
    const c = await connector(base);
    assert.match(c.connectorSyncCronSchedule.cronSpec, /^\d{1,2} \* \* \* \*$/);
    assert.equal(c.connectorSyncCronSchedule.timezone, "UTC");
    assert.deepEqual(c.status, {}, "never synced: protojson omits the zero enum");
    assert.equal(c.canResumeSync, undefined);
    const list = await syncs(base);
    assert.equal(list.length, 1);
    assert.equal(list[0]?.trigger, "INITIAL");
    assert.equal(list[0]?.state, "QUEUED");
    assert.match(list[0]?.id, /^[0-9A-Za-z]{27}$/);
  });
});

describe("PauseSync", () => {
  it("lists both holds of a connector paused while held for a data drop", async () => {
    const { base, connectorId } = await createAppAndConnector(server);
    await addDataDropHold(connectorId);
    const paused = await server.call("POST", `${base}/pause`, {
      body: { note: "vendor maintenance", until: "2h" },
    });
    assert.equal(paused.status, 200);
    const c = await connector(base);
    // The C1 fields show the pause (it wins); `holds` shows both, each with who, why and when.
    assert.equal(c.syncDisabledCategory, "PAUSED");
    const holds = c.holds as Json[];
    // Oldest first.
    assert.deepEqual(
      holds.map((hold) => hold.kind),
      ["DATA_DROP", "PAUSED"],
    );
    const pause = holds.find((hold) => hold.kind === "PAUSED") as Json;
    const drop = holds.find((hold) => hold.kind === "DATA_DROP") as Json;
    assert.equal(pause.note, "vendor maintenance");
    assert.equal(pause.until, c.pausedUntil);
    assert.ok(typeof pause.createdBy === "string" && pause.createdBy.length > 0);
    assert.equal(drop.note, "user: 100 → 1 (-99.0%)");
    assert.equal(drop.createdBy, "system");
    assert.equal(drop.until, undefined);
    assert.equal((await server.call("POST", `${base}/resume`)).status, 200);
    const after = await connector(base);
    assert.deepEqual(
      (after.holds as Json[]).map((hold) => hold.kind),
      ["DATA_DROP"],
    );
  });

  it("adds a hold, cancels queued syncs and reads back as DISABLED", async () => {
    const { base } = await createAppAndConnector(server);
    const response = await server.call("POST", `${base}/pause`, {
      body: { note: "vendor maintenance" },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {});
    const c = await connector(base);
    assert.equal(c.status.status, "SYNC_STATUS_DISABLED");
    assert.equal(c.canResumeSync, true);
    assert.equal(c.syncDisabledCategory, "PAUSED");
    assert.equal(c.syncDisabledReason, "vendor maintenance");
    assert.ok(Date.parse(c.syncDisabledAt) > 0);
    const list = await syncs(base);
    assert.equal(list[0]?.state, "CANCELED");
    assert.equal(list[0]?.error, "paused");
    assert.equal((await queued(base)).length, 0);
  });

  it("is idempotent: a retry keeps the first pause", async () => {
    const { base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/pause`);
    const first = await connector(base);
    const retry = await server.call("POST", `${base}/pause`, { body: {} });
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, {});
    const second = await connector(base);
    assert.equal(second.syncDisabledAt, first.syncDisabledAt);
    assert.equal(second.canResumeSync, true);
  });

  it("accepts an absent body, {} and null", async () => {
    const { base } = await createAppAndConnector(server);
    assert.equal((await server.call("POST", `${base}/pause`)).status, 200);
    assert.equal(
      (
        await server.call("POST", `${base}/pause`, {
          rawBody: "null",
          headers: { "content-type": "application/json" },
        })
      ).status,
      200,
    );
  });

  it("answers NOT_FOUND for an unknown app or connector", async () => {
    const { appId, connectorId } = await createAppAndConnector(server);
    assertError(
      await server.call("POST", `/api/v1/apps/${appId}/connectors/nope/pause`),
      404,
      5,
      /connector "nope" not found/,
    );
    assertError(
      await server.call("POST", `/api/v1/apps/nope/connectors/${connectorId}/pause`),
      404,
      5,
      /not found/,
    );
  });

  it("refuses malformed and unknown-field bodies", async () => {
    const { base } = await createAppAndConnector(server);
    assertError(
      await server.call("POST", `${base}/pause`, {
        rawBody: "{not json",
        headers: { "content-type": "application/json" },
      }),
      400,
      3,
      /not valid JSON/,
    );
    assertError(
      await server.call("POST", `${base}/pause`, { body: { bogus: 1 } }),
      400,
      3,
      /unknown field "bogus"/,
    );
    assertError(
      await server.call("POST", `${base}/pause`, { body: [1] }),
      400,
      3,
      /must be a JSON object/,
    );
    assertError(
      await server.call("POST", `${base}/pause`, { body: { note: 5 } }),
      400,
      3,
      /"note" must be a string/,
    );
    assert.equal((await connector(base)).canResumeSync, undefined, "nothing changed");
  });
});

describe("PauseSync with a timer", () => {
  it("reads back pausedUntil; a new pause replaces the timer, one without until removes it", async () => {
    const { base } = await createAppAndConnector(server);
    const before = Date.now();
    const paused = await server.call("POST", `${base}/pause`, {
      body: { note: "vendor window", until: "2h" },
    });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.deepEqual(paused.body, {});
    let c = await connector(base);
    assert.equal(c.syncDisabledReason, "vendor window");
    const until = Date.parse(c.pausedUntil as string);
    assert.ok(until >= before + 2 * 3600_000 && until <= Date.now() + 2 * 3600_000, c.pausedUntil);

    const later = new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
    const replaced = await server.call("POST", `${base}/pause`, { body: { until: later } });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    c = await connector(base);
    assert.equal(Date.parse(c.pausedUntil as string), Date.parse(later));
    assert.equal(c.syncDisabledReason, "vendor window", "a pause without a note keeps the note");

    await server.call("POST", `${base}/pause`);
    c = await connector(base);
    assert.equal(c.pausedUntil, undefined, "the seed's empty PauseSync leaves no timer");
    assert.equal(c.canResumeSync, true);

    await server.call("POST", `${base}/pause`, { body: { until: "1h" } });
    await server.call("POST", `${base}/resume`);
    c = await connector(base);
    assert.equal(c.pausedUntil, undefined, "ResumeSync ends the timer with the pause");
    assert.equal(c.canResumeSync, undefined);
  });

  it("refuses an until it cannot read, one in the past and one too far ahead, changing nothing", async () => {
    const { base } = await createAppAndConnector(server);
    assertError(
      await server.call("POST", `${base}/pause`, { body: { until: "tomorrow" } }),
      400,
      3,
      /field "until" has a bad format \(When the pause ends by itself: an RFC 3339 time or a duration/,
    );
    assertError(
      await server.call("POST", `${base}/pause`, { body: { until: "2020-01-01T00:00:00Z" } }),
      400,
      3,
      /^until: must be at least 1 minute in the future/,
    );
    assertError(
      await server.call("POST", `${base}/pause`, { body: { until: "400d" } }),
      400,
      3,
      /at most 366 days/,
    );
    assertError(
      await server.call("POST", `${base}/pause`, { body: { until: 7200 } }),
      400,
      3,
      /"until" must be a string/,
    );
    assert.equal((await connector(base)).canResumeSync, undefined, "nothing changed");
  });
});

describe("sync history filters", () => {
  it("filter by state, trigger and queue time; bad values are refused, naming the parameter", async () => {
    const { base, appId, connectorId } = await createAppAndConnector(server);
    const t0 = Date.now() - 60_000;
    const errored = await seedSync(connectorId, appId, "ERRORED", t0);
    const succeeded = await seedSync(connectorId, appId, "SUCCEEDED", t0 + 10_000);
    assert.equal((await server.call("POST", `${base}/force_sync`)).status, 200);
    const ids = async (query: string) => {
      const response = await server.call("GET", `${base}/syncs?${query}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return (response.body.list as Json[]).map((sync) => sync.id as string);
    };
    assert.deepEqual(await ids("state=ERRORED"), [errored]);
    assert.deepEqual(await ids("state=ERRORED,SUCCEEDED"), [succeeded, errored]);
    const forced = await ids("trigger=FORCE");
    assert.equal(forced.length, 1);
    assert.ok(!forced.includes(errored) && !forced.includes(succeeded));
    const from = new Date(t0 - 1000 - 500).toISOString();
    const to = new Date(t0 + 10_000 - 1000).toISOString(); // seedSync queues 1 s before finishing
    assert.deepEqual(await ids(`queued_after=${from}&queued_before=${to}`), [errored]);
    assert.deepEqual(await ids("state=SUCCEEDED&trigger=FORCE"), []);

    assertError(await server.call("GET", `${base}/syncs?state=BOGUS`), 400, 3, /state/);
    assertError(await server.call("GET", `${base}/syncs?trigger=force,`), 400, 3, /trigger/);
    assertError(
      await server.call("GET", `${base}/syncs?queued_after=yesterday`),
      400,
      3,
      /query parameter "queued_after" has a bad format/,
    );
    assertError(await server.call("GET", `${base}/syncs?bogus=1`), 400, 3, /bogus/);
  });
});

describe("a running sync's progress", () => {
  it("shows its phase, the connector's last message, and an estimate from recent syncs", async () => {
    const { base, appId, connectorId } = await createAppAndConnector(server);
    const now = Date.now();
    const { store } = server.server;
    // Two earlier successful syncs of 40 s and 80 s: the typical one takes 60 s.
    await seedSync(connectorId, appId, "SUCCEEDED", now - 10 * 60_000, 40_000);
    await seedSync(connectorId, appId, "SUCCEEDED", now - 9 * 60_000, 80_000);
    const running = newId();
    await store.transaction(async (tx) => {
      await tx.cancelQueuedSyncs(connectorId, "test setup", now);
      await tx.insertSync({
        id: running,
        connectorId,
        appId,
        trigger: "FORCE",
        queuedAt: now - 31_000,
        requestedBy: "test",
      });
      await tx.startSync(running, "w", now - 30_000, now + 600_000);
    });
    const read = async () =>
      ((await server.call("GET", `${base}/syncs/${running}`)).body.syncLifecycle as Json)
        .progress as Json;
    // Before the worker reports: the estimate only.
    let progress = await read();
    assert.equal(progress.phase, undefined);
    assert.equal(progress.typicalDuration, "1m");
    // 30 s of a usual 60 s when seeded (read a moment later, on a busy machine some seconds).
    assert.match(progress.elapsed as string, /^3\ds$/);
    const fraction = progress.estimatedFraction as number;
    assert.ok(fraction >= 0.5 && fraction <= 0.66, `estimated ${fraction}`);
    assert.equal(progress.overdue, undefined);
    await store.transaction((tx) =>
      tx.renewLease(running, "w", 1, now + 600_000, now, {
        attempt: 1,
        phase: "CONNECTOR",
        message: "Syncing users",
        at: now,
      }),
    );
    progress = await read();
    assert.equal(progress.phase, "CONNECTOR");
    assert.equal(progress.message, "Syncing users");
    assert.equal(progress.updatedAt, new Date(now).toISOString());
    // The list shows it too; finished syncs have none.
    const list = (await server.call("GET", `${base}/syncs`)).body.list as Json[];
    assert.equal((list.find((sync) => sync.id === running)?.progress as Json).phase, "CONNECTOR");
    assert.equal(list.filter((sync) => sync.progress !== undefined).length, 1);
    // A report from an earlier attempt is not shown as this attempt's.
    await store.transaction((tx) =>
      tx.renewLease(running, "w", 1, now + 600_000, now, {
        attempt: 0,
        phase: "STORING",
        message: "old",
        at: now,
      }),
    );
    assert.equal((await read()).phase, undefined);
  });
});

describe("the connector overview", () => {
  it("lists every connector across apps with its app's name, newest sync and next run, in pages", async () => {
    const plain = await createAppAndConnector(server);
    const paused = await createAppAndConnector(server);
    assert.equal((await server.call("POST", `${paused.base}/pause`)).status, 200);
    const all: Json[] = [];
    let token = "";
    let pages = 0;
    do {
      const response = await server.call(
        "GET",
        `/api/v1/connectors?page_size=2${token ? `&page_token=${token}` : ""}`,
      );
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const list = response.body.list as Json[];
      assert.ok(list.length <= 2);
      all.push(...list);
      token = (response.body.nextPageToken as string | undefined) ?? "";
      pages++;
    } while (token && pages < 200);
    assert.equal(new Set(all.map((item) => item.connector.id)).size, all.length, "each once");
    const of = (id: string) => all.find((item) => item.connector.id === id) as Json;
    for (const { appId, connectorId, base } of [plain, paused]) {
      const item = of(connectorId);
      assert.equal(item.connector.appId, appId);
      assert.equal(item.appDisplayName, "Test app");
      const [newest] = (await server.call("GET", `${base}/syncs?page_size=1`)).body.list as Json[];
      assert.deepEqual(item.lastSync, newest, "the newest sync, as the history shows it");
    }
    // The next run: the schedule's next fire; none while a hold stops the schedule.
    const next = (await server.call("GET", `${plain.base}/schedule?count=1`)).body
      .nextFireTimes as string[];
    assert.equal(of(plain.connectorId).nextRunAt, next[0]);
    assert.equal(of(paused.connectorId).nextRunAt, undefined);
    assert.deepEqual(
      (of(paused.connectorId).connector.holds as Json[]).map((hold) => hold.kind),
      ["PAUSED"],
    );
    const bad = await server.call("GET", "/api/v1/connectors?page_token=nonsense");
    assert.equal(bad.status, 400);
  });
});

describe("ResumeSync", () => {
  it("clears the pause and queues exactly one RESUME sync", async () => {
    const { base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/pause`);
    const response = await server.call("POST", `${base}/resume`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {});
    const c = await connector(base);
    assert.equal(c.canResumeSync, undefined);
    assert.notEqual(c.status.status, "SYNC_STATUS_DISABLED");
    assert.equal(c.syncDisabledAt, undefined);
    const waiting = await queued(base);
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0]?.trigger, "RESUME");
    // A retry changes nothing.
    assert.equal((await server.call("POST", `${base}/resume`)).status, 200);
    assert.equal((await queued(base)).length, 1);
    assert.equal((await syncs(base)).length, 2);
  });

  it("is a no-op without a sync when the connector is not paused", async () => {
    const { base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/pause`);
    await server.call("POST", `${base}/resume`);
    const before = (await syncs(base)).length;
    const response = await server.call("POST", `${base}/resume`);
    assert.equal(response.status, 200);
    assert.equal((await syncs(base)).length, before);
  });

  it("does not replay missed fires: the next fire is after now", async () => {
    const { base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/pause`);
    await server.call("POST", `${base}/resume`);
    const view = await server.call("GET", `${base}/schedule`);
    const next = Date.parse((view.body.nextFireTimes as string[])[0] as string);
    assert.ok(next > Date.now());
  });

  it("answers NOT_FOUND for an unknown connector", async () => {
    const { appId } = await createAppAndConnector(server);
    assertError(
      await server.call("POST", `/api/v1/apps/${appId}/connectors/missing/resume`),
      404,
      5,
    );
  });
});

describe("ForceSync", () => {
  it("coalesces with a queued sync", async () => {
    const { base } = await createAppAndConnector(server);
    for (let i = 0; i < 3; i++) {
      const response = await server.call("POST", `${base}/force_sync`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {});
    }
    assert.equal((await queued(base)).length, 1);
  });

  it("queues one when none is queued", async () => {
    const { base, connectorId } = await createAppAndConnector(server);
    await server.server.store.transaction((tx) =>
      tx.cancelQueuedSyncs(connectorId, "test", Date.now()),
    );
    await server.call("POST", `${base}/force_sync`);
    const waiting = await queued(base);
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0]?.trigger, "FORCE");
  });

  it("queues at most one follow-up while a sync runs", async () => {
    const { base, connectorId } = await createAppAndConnector(server);
    const [initial] = await queued(base);
    await server.server.store.transaction((tx) =>
      tx.setSyncState(initial?.id, ["QUEUED"], "RUNNING", Date.now()),
    );
    await server.call("POST", `${base}/force_sync`);
    await server.call("POST", `${base}/force_sync`);
    const all = await syncs(base);
    assert.equal(all.filter((s) => s.state === "RUNNING").length, 1);
    assert.equal(all.filter((s) => s.state === "QUEUED").length, 1);
    assert.equal(connectorId.length, 27);
  });

  it("is refused while paused", async () => {
    const { base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/pause`);
    assertError(await server.call("POST", `${base}/force_sync`), 400, 9, /connector is paused/);
    assert.equal((await queued(base)).length, 0);
  });

  it("is allowed under a DATA_DROP hold", async () => {
    const { base, connectorId } = await createAppAndConnector(server);
    await server.server.store.transaction((tx) =>
      tx.cancelQueuedSyncs(connectorId, "test", Date.now()),
    );
    await addDataDropHold(connectorId);
    assert.equal((await server.call("POST", `${base}/force_sync`)).status, 200);
    assert.equal((await queued(base)).length, 1);
  });

  it("leaves exactly one queued sync after 200 concurrent calls", async () => {
    const { base, connectorId } = await createAppAndConnector(server);
    await server.server.store.transaction((tx) =>
      tx.cancelQueuedSyncs(connectorId, "test", Date.now()),
    );
    const token = await server.token("operator");
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => server.call("POST", `${base}/force_sync`, { token })),
    );
    assert.ok(responses.every((response) => response.status === 200));
    const waiting = await queued(base);
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0]?.trigger, "FORCE");
  });

  it("answers NOT_FOUND for an unknown connector", async () => {
    const { appId } = await createAppAndConnector(server);
    assertError(
      await server.call("POST", `/api/v1/apps/${appId}/connectors/missing/force_sync`),
      404,
      5,
    );
  });
});

describe("ConfirmSyncValid", () => {
  it("confirms the latest ERRORED_NO_DATA sync, clears the hold and queues a CONFIRM sync", async () => {
    const { base, appId, connectorId } = await createAppAndConnector(server);
    const held = await seedSync(connectorId, appId, "ERRORED_NO_DATA", Date.now());
    await addDataDropHold(connectorId);
    assert.equal((await connector(base)).syncDisabledCategory, "DATA_DROP");
    const response = await server.call("POST", `${base}/confirm_sync_valid/${held}`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {});
    const sync = await server.call("GET", `${base}/syncs/${held}`);
    assert.equal((sync.body.syncLifecycle as Json).state, "CONFIRMED");
    assert.equal((await connector(base)).syncDisabledCategory, undefined);
    const waiting = await queued(base);
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0]?.trigger, "CONFIRM");
    // Confirming again is a no-op.
    assert.equal((await server.call("POST", `${base}/confirm_sync_valid/${held}`)).status, 200);
    assert.equal((await queued(base)).length, 1);
  });

  it("keeps a pause: no CONFIRM sync while paused", async () => {
    const { base, appId, connectorId } = await createAppAndConnector(server);
    const held = await seedSync(connectorId, appId, "ERRORED_NO_DATA", Date.now());
    await server.call("POST", `${base}/pause`);
    assert.equal((await server.call("POST", `${base}/confirm_sync_valid/${held}`)).status, 200);
    assert.equal((await queued(base)).length, 0);
    assert.equal((await connector(base)).canResumeSync, true);
  });

  it("answers NOT_FOUND for an unknown lifecycle", async () => {
    const { base } = await createAppAndConnector(server);
    assertError(
      await server.call("POST", `${base}/confirm_sync_valid/3MStgWfFrExJNQFfvKcnO87LV32`),
      404,
      5,
      /not found/,
    );
  });

  it("refuses a sync that is not ERRORED_NO_DATA, naming its state", async () => {
    const { base, appId, connectorId } = await createAppAndConnector(server);
    const done = await seedSync(connectorId, appId, "SUCCEEDED", Date.now());
    assertError(
      await server.call("POST", `${base}/confirm_sync_valid/${done}`),
      400,
      9,
      /is SUCCEEDED; only a sync in ERRORED_NO_DATA/,
    );
  });

  it("refuses a sync that is not the latest finished one", async () => {
    const { base, appId, connectorId } = await createAppAndConnector(server);
    const older = await seedSync(connectorId, appId, "ERRORED_NO_DATA", Date.now() - 60_000);
    const newer = await seedSync(connectorId, appId, "ERRORED", Date.now());
    assertError(
      await server.call("POST", `${base}/confirm_sync_valid/${older}`),
      400,
      9,
      new RegExp(`not the connector's most recent finished sync \\(${newer} is`),
    );
  });

  it("does not find another connector's sync", async () => {
    const a = await createAppAndConnector(server);
    const b = await createAppAndConnector(server);
    const held = await seedSync(a.connectorId, a.appId, "ERRORED_NO_DATA", Date.now());
    assertError(await server.call("POST", `${b.base}/confirm_sync_valid/${held}`), 404, 5);
  });
});

describe("errors common to the five operations", () => {
  const operations = (syncId: string) => [
    "pause",
    "resume",
    "force_sync",
    `confirm_sync_valid/${syncId}`,
    "schedule",
  ];

  it("answer NOT_FOUND for an unknown app or connector", async () => {
    const { appId, connectorId } = await createAppAndConnector(server);
    const list = await server.call("GET", `/api/v1/apps/${appId}/connectors/${connectorId}/syncs`);
    const syncId = ((list.body.list as Json[])[0] as Json).id as string;
    for (const operation of operations(syncId)) {
      assertError(
        await server.call(
          "POST",
          `/api/v1/apps/no-such-app/connectors/${connectorId}/${operation}`,
        ),
        404,
        5,
        /not found/,
      );
      assertError(
        await server.call(
          "POST",
          `/api/v1/apps/${appId}/connectors/no-such-connector/${operation}`,
        ),
        404,
        5,
        /connector "no-such-connector" not found/,
      );
    }
  });

  it("refuse malformed JSON and change nothing", async () => {
    const { base } = await createAppAndConnector(server);
    const before = await syncs(base);
    for (const operation of operations("3MStgWfFrExJNQFfvKcnO87LV32")) {
      assertError(
        await server.call("POST", `${base}/${operation}`, {
          rawBody: "{",
          headers: { "content-type": "application/json" },
        }),
        400,
        3,
        /request body is not valid JSON/,
      );
    }
    assert.deepEqual(await syncs(base), before);
    assert.equal((await connector(base)).canResumeSync, undefined);
  });
});

describe("connectors that cannot run yet", () => {
  it("resume without queueing a sync that could never run", async () => {
    const { appId } = await createAppAndConnector(server);
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors`, {
      body: { catalogId: "file" },
    });
    const id = ((created.body.connectorView as Json).connector as Json).id;
    const base = `/api/v1/apps/${appId}/connectors/${id}`;
    await server.call("POST", `${base}/pause`);
    assert.equal((await server.call("POST", `${base}/resume`)).status, 200);
    assert.equal((await connector(base)).canResumeSync, undefined);
    assert.deepEqual(await syncs(base), []);
  });
});

describe("UpdateConnectorSchedule", () => {
  it("sets a schedule in a zone and recomputes the next fire", async () => {
    const { base } = await createAppAndConnector(server);
    const response = await server.call("POST", `${base}/schedule`, {
      body: { cron: { cronSpec: "30 2 * * *", timezone: "America/New_York" } },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {});
    const c = await connector(base);
    assert.equal(c.connectorSyncCronSchedule.cronSpec, "30 2 * * *");
    assert.equal(c.connectorSyncCronSchedule.timezone, "America/New_York");
    const view = await server.call("GET", `${base}/schedule?count=3`);
    const fires = view.body.nextFireTimes as string[];
    assert.equal(fires.length, 3);
    for (const fire of fires) assert.match(fire, /T0[67]:30:00.000Z$/);
    for (const bad of ["0", "1.5", "101", "x"]) {
      assertError(await server.call("GET", `${base}/schedule?count=${bad}`), 400, 3, /count/);
    }
  });

  it("is idempotent: the same schedule keeps its start", async () => {
    const { base } = await createAppAndConnector(server);
    const body = { cron: { cronSpec: "@daily", timezone: "Europe/Berlin" } };
    await server.call("POST", `${base}/schedule`, { body });
    const first = (await connector(base)).connectorSyncCronSchedule.start;
    assert.equal((await server.call("POST", `${base}/schedule`, { body })).status, 200);
    assert.equal((await connector(base)).connectorSyncCronSchedule.start, first);
  });

  it("defaults an empty zone to UTC and stores zones canonically", async () => {
    const { base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/schedule`, { body: { cron: { cronSpec: "*/15 * * * *" } } });
    assert.equal((await connector(base)).connectorSyncCronSchedule.timezone, "UTC");
    await server.call("POST", `${base}/schedule`, {
      body: { cron: { cronSpec: "*/15 * * * *", timezone: "utc" } },
    });
    assert.equal((await connector(base)).connectorSyncCronSchedule.timezone, "UTC");
  });

  it("stores the next fire time, and ResumeSync recomputes it from now", async () => {
    const { base, connectorId } = await createAppAndConnector(server);
    const setAt = Date.now();
    await server.call("POST", `${base}/schedule`, { body: { cron: { cronSpec: "* * * * *" } } });
    const stored = await server.server.store.getSchedule(connectorId);
    assert.ok(stored?.nextFireAt !== null && stored?.nextFireAt !== undefined);
    assert.ok(stored.nextFireAt > setAt && stored.nextFireAt <= setAt + 60_000, "the next minute");
    assert.equal(stored.nextFireAt % 60_000, 0);
    // Pretend the fire was missed during a pause: resume must not keep the old time.
    await server.call("POST", `${base}/pause`);
    await server.server.store.transaction((tx) =>
      tx.upsertSchedule({ ...stored, nextFireAt: setAt - 3_600_000 }),
    );
    const resumedAt = Date.now();
    await server.call("POST", `${base}/resume`);
    const after = await server.server.store.getSchedule(connectorId);
    assert.ok(
      (after?.nextFireAt ?? 0) > resumedAt,
      "continues from now, no replay of missed fires",
    );
  });

  it("clears the schedule with an empty body or cron null", async () => {
    for (const body of [undefined, {}, { cron: null }]) {
      const { base } = await createAppAndConnector(server);
      const response = await server.call(
        "POST",
        `${base}/schedule`,
        body === undefined ? {} : { body },
      );
      assert.equal(response.status, 200);
      assert.equal((await connector(base)).connectorSyncCronSchedule, undefined);
      const view = await server.call("GET", `${base}/schedule`);
      assert.deepEqual(view.body.nextFireTimes, []);
    }
  });

  it("takes a freshness target instead of a cron: read back, previewed, replaced and cleared", async () => {
    const { base } = await createAppAndConnector(server);
    const set = await server.call("POST", `${base}/schedule`, {
      body: { freshness: { maxAge: "2h" } },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const c = await connector(base);
    assert.deepEqual(c.freshness, { maxAge: "2h" });
    assert.equal(c.connectorSyncCronSchedule, undefined);
    const view = await server.call("GET", `${base}/schedule?count=3`);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.equal(view.body.cron, undefined);
    const freshness = view.body.freshness as Json;
    assert.equal(freshness.maxAge, "2h");
    assert.equal(freshness.expectedSyncDuration, "5m", "no successful sync yet: the default");
    assert.equal(freshness.atRisk, undefined);
    const fires = (view.body.nextFireTimes as string[]).map(Date.parse);
    assert.equal(fires.length, 3);
    const period = (fires[1] ?? 0) - (fires[0] ?? 0);
    assert.equal((fires[2] ?? 0) - (fires[1] ?? 0), period);
    assert.ok(period >= 2 * 3_600_000 - 29 * 60_000 && period <= 2 * 3_600_000 - 17 * 60_000);
    const cron = await server.call("POST", `${base}/schedule`, {
      body: { cron: { cronSpec: "@daily" } },
    });
    assert.equal(cron.status, 200);
    assert.equal((await connector(base)).freshness, undefined);
    assert.equal((await connector(base)).connectorSyncCronSchedule.cronSpec, "@daily");
    await server.call("POST", `${base}/schedule`, { body: { freshness: { maxAge: "30m" } } });
    assert.equal(((await connector(base)).freshness as Json).maxAge, "30m");
    await server.call("POST", `${base}/schedule`, { body: {} });
    assert.equal((await connector(base)).freshness, undefined);
    assert.deepEqual((await server.call("GET", `${base}/schedule`)).body.nextFireTimes, []);
  });

  it("previews a schedule before it is set: a cron in a zone, or a freshness target", async () => {
    const { base } = await createAppAndConnector(server);
    const cron = await server.call(
      "GET",
      `${base}/schedule/preview?cron_spec=${encodeURIComponent("30 2 * * *")}&timezone=America/New_York`,
    );
    assert.equal(cron.status, 200, JSON.stringify(cron.body));
    assert.deepEqual(cron.body.cron, { cronSpec: "30 2 * * *", timezone: "America/New_York" });
    const fires = cron.body.nextFireTimes as string[];
    assert.equal(fires.length, 10, "ten by default");
    for (const fire of fires) assert.match(fire, /T0[67]:30:00.000Z$/);
    const fresh = await server.call("GET", `${base}/schedule/preview?max_age=2h&count=3`);
    assert.equal((fresh.body.freshness as Json).maxAge, "2h");
    assert.equal((fresh.body.nextFireTimes as string[]).length, 3);
    // Nothing was set.
    assert.equal((await connector(base)).freshness, undefined);
    assertError(
      await server.call(
        "GET",
        `${base}/schedule/preview?cron_spec=${encodeURIComponent("0 0 30 2 *")}`,
      ),
      400,
      3,
      /never fires/,
    );
    assertError(
      await server.call("GET", `${base}/schedule/preview?cron_spec=%40daily&max_age=2h`),
      400,
      3,
      /either cron_spec or max_age/,
    );
    assertError(await server.call("GET", `${base}/schedule/preview`), 400, 3, /give cron_spec/);
  });

  it("refuses a freshness target out of bounds, malformed, or beside a cron", async () => {
    const { base } = await createAppAndConnector(server);
    const cases: [unknown, RegExp][] = [
      [{ freshness: { maxAge: "10m" } }, /freshness.maxAge must be from 15m to 31d, got 10m/],
      [{ freshness: { maxAge: "40d" } }, /freshness.maxAge must be from 15m to 31d, got 40d/],
      [{ freshness: { maxAge: "2 hours" } }, /freshness.maxAge/],
      [{ freshness: {} }, /"freshness.maxAge" is required/],
      [{ cron: { cronSpec: "@daily" }, freshness: { maxAge: "2h" } }, /either cron or freshness/],
    ];
    for (const [body, message] of cases) {
      assertError(await server.call("POST", `${base}/schedule`, { body }), 400, 3, message);
    }
    assert.equal((await connector(base)).freshness, undefined);
  });

  it("refuses bad cron specs and zones, naming the field, and changes nothing", async () => {
    const { base } = await createAppAndConnector(server);
    const before = (await connector(base)).connectorSyncCronSchedule;
    const cases: [unknown, RegExp][] = [
      [{ cron: { cronSpec: "0 25 * * *" } }, /hour field "25" is out of range 0-23/],
      [{ cron: { cronSpec: "0 0 * *" } }, /expected 5 fields/],
      [{ cron: { cronSpec: "@fortnightly" } }, /unknown macro/],
      [{ cron: { cronSpec: "0 0 30 2 *" } }, /never fires/],
      [
        { cron: { cronSpec: "0 0 * * *", timezone: "Nowhere/Land" } },
        /cron.timezone: "Nowhere\/Land" is not an IANA time zone/,
      ],
      [{ cron: { timezone: "UTC" } }, /"cron.cronSpec" is required/],
      [{ cron: { cronSpec: 5 } }, /"cron.cronSpec" must be a string/],
      [{ cron: "daily" }, /"cron" must be a JSON object/],
      [{ cron: { cronSpec: "@daily", extra: true } }, /unknown field "cron.extra"/],
    ];
    for (const [body, message] of cases) {
      assertError(await server.call("POST", `${base}/schedule`, { body }), 400, 3, message);
    }
    assert.deepEqual((await connector(base)).connectorSyncCronSchedule, before);
  });
});
