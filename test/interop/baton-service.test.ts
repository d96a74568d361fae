// The REAL baton-demo in service mode against a real syncplane over HTTPS with the CA that
// `serve --tls-self-signed` makes in its data dir (trusted through SSL_CERT_FILE, as baton's Go
// client reads it, so Go's verifier checks syncplane's own certificates): the connector gets its credential from
// RotateCredential, exchanges its Ed25519 assertion at /auth/v1/token and dials BatonService on the
// same port (BATON_C1_API_HOST). A sync gives the same counts as one-shot; a grant and a revoke
// appear and disappear in the inventory; PauseSync holds grants (the connector keeps polling and
// gets nothing) and ResumeSync releases them in order; a sync whose process dies is retried when a
// process comes back (a FAKE dial-in client that stops mid-sync plays the dying process, since
// baton-demo syncs in milliseconds); a wrong secret is refused and nothing is handed out.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  BatonService,
  GetTaskRequestSchema,
  HeartbeatRequestSchema,
} from "../../src/gen/c1/connectorapi/baton/v1/baton_pb.js";
import { BATON_DEMO, interopBinary, seedBatonDemo } from "../helpers/baton.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { httpsCall } from "../helpers/tls.js";
import { until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// baton-demo's seed at 6090134 (pkg/client/data.go).
const ALICE = "2IC0Wn5oRQqVVn3COFl1O1zSzV6";
const DAN = "2IC0Wn7DaxV1xqDpdg7jJRiPtCp";
const FRANK = "2IC0WoaHVvl2GIQppXQH0flK1yJ";
const EDITOR = "role:2IC0WmaHecJdzo5jYnQiTh2BVlB:assignment";
const SALES = "group:2IC0WjepYDBsRp6b7cqrumGsVGt:member";
const user = (id: string) => ({ resourceTypeId: "user", resourceId: id });

describe("the real baton-demo in service mode", interopBinary(BATON_DEMO), () => {
  let server: TestServer;
  let certs: { caFile: string };
  let dir: string;
  let adminToken = "";
  const processes: ChildProcess[] = [];

  before(async () => {
    dir = tempDir("syncplane-service-");
    const dataDir = tempDir("syncplane-service-data-");
    certs = { caFile: join(dataDir, "tls", "ca.pem") };
    server = await startTestServer({
      dataDir,
      flags: {
        roles: "api,scheduler,worker",
        tlsSelfSigned: "true",
        servicePollSeconds: "0.3",
        serviceHeartbeatSeconds: "1",
      },
    });
    const token = await api("POST", "/auth/v1/token", {
      form: {
        grant_type: "client_credentials",
        client_id: server.admin.clientId,
        client_secret: server.admin.clientSecret,
      },
    });
    adminToken = token.access_token as string;
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map(stopProcess));
  });
  after(async () => {
    await server.stop();
  });

  /** The test's own calls, over HTTPS with the server's CA; anything but `expect` fails. */
  async function api(
    method: string,
    path: string,
    options: { body?: unknown; form?: Record<string, string>; expect?: number } = {},
  ): Promise<Json> {
    const answer = await httpsCall(server.url + path, {
      method,
      ca: readFileSync(certs.caFile),
      token: adminToken,
      body: options.body,
      form: options.form,
    });
    if (answer.status !== (options.expect ?? 200)) {
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  /** A baton-service connector with its credential from RotateCredential. */
  async function serviceConnector(name: string) {
    const app = await api("POST", "/api/v1/apps", { body: { displayName: name } });
    const appId = app.app.id as string;
    const created = await api("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { catalogId: "baton-service", displayName: name },
    });
    const connectorId = created.connectorView.connector.id as string;
    const rotated = await api("POST", "/api/v1/apps/connectors/credentials", {
      body: { appId, connectorId },
    });
    const credential = rotated.credential as Json;
    assert.equal(credential.connectorId, connectorId);
    assert.match(credential.clientSecret, /^secret-token:/);
    return {
      appId,
      connectorId,
      base: `/api/v1/apps/${appId}/connectors/${connectorId}`,
      clientId: credential.clientId as string,
      clientSecret: credential.clientSecret as string,
    };
  }

  const seedUpstream = (name: string) => seedBatonDemo(dir, name);

  /** Runs baton-demo in service mode with the connector's credential; its output is kept. */
  function runConnector(
    db: string,
    credential: { clientId: string; clientSecret: string },
  ): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(
      BATON_DEMO,
      [
        "--db-file",
        db,
        "-p",
        "--client-id",
        credential.clientId,
        "--client-secret",
        credential.clientSecret,
      ],
      {
        cwd: tempDir("syncplane-service-run-"),
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          TZ: "UTC",
          SSL_CERT_FILE: certs.caFile,
          BATON_C1_API_HOST: new URL(server.url).host,
          BATON_HOST_ID: "demo-host",
          NO_PROXY: "127.0.0.1,localhost",
        },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
    processes.push(child);
    return { child, output: () => output, exited };
  }

  const syncs = async (base: string): Promise<Json[]> =>
    (await api("GET", `${base}/syncs`)).list as Json[];
  const connectorView = async (base: string): Promise<Json> =>
    (await api("GET", base)).connectorView.connector as Json;
  const task = async (base: string, id: string): Promise<Json> =>
    (await api("GET", `${base}/provisioning/${id}`)).task as Json;
  const taskEnded = (base: string, id: string) =>
    until(`task ${id} to end`, async () => {
      const t = await task(base, id);
      return ["SUCCEEDED", "FAILED", "CANCELED"].includes(t.state) ? t : null;
    });
  async function grants(base: string): Promise<string[]> {
    const ids: string[] = [];
    let token = "";
    do {
      const page = await api(
        "GET",
        `${base}/inventory/grants?page_size=100${token ? `&page_token=${token}` : ""}`,
      );
      ids.push(...(page.list as Json[]).map((g) => g.id as string));
      token = (page.nextPageToken as string | undefined) ?? "";
    } while (token);
    return ids;
  }

  it("syncs with the same counts as one-shot, and shows the process as connected", async () => {
    const connector = await serviceConnector("service-sync");
    const db = seedUpstream("service-sync");
    const run = runConnector(db, connector);
    const initial = await until("the INITIAL sync", async () => {
      const sync = (await syncs(connector.base)).find((s) => s.trigger === "INITIAL");
      if (sync?.state === "ERRORED") assert.fail(`${sync.error}\n${run.output()}`);
      return sync?.state === "SUCCEEDED" ? sync : null;
    });
    assert.deepEqual(initial.counts.resources, { group: 2, project: 2, role: 2, user: 5 });
    assert.equal(initial.counts.entitlements, 10);
    assert.equal(initial.counts.grants, 32);
    const view = await connectorView(connector.base);
    assert.equal(view.status.status, "SYNC_STATUS_DONE");
    const presence = view.serviceConnection as Json;
    assert.equal(presence.connected, true);
    assert.equal(presence.hostId, "demo-host");
    assert.match(presence.sdk, /baton/);
    assert.ok(presence.lastSeenAt);
    // The c1z it uploaded is kept like a one-shot sync's.
    const url = await api("GET", `${connector.base}/syncs/${initial.id}/download_url`);
    assert.match(url.downloadUrl as string, /\/downloads\//);
  });

  it("grants and revokes through its GetTask; the follow-up sync shows them", async () => {
    const connector = await serviceConnector("service-provision");
    const run = runConnector(seedUpstream("service-provision"), connector);
    await until("the INITIAL sync", async () =>
      (await syncs(connector.base)).some((s) => s.trigger === "INITIAL" && s.state === "SUCCEEDED"),
    );
    const granted = await api("POST", `${connector.base}/provisioning/grant`, {
      body: { entitlementId: EDITOR, principal: user(DAN) },
    });
    const revoked = await api("POST", `${connector.base}/provisioning/revoke`, {
      body: { grantId: `${EDITOR}:user:${FRANK}` },
    });
    for (const created of [granted, revoked]) {
      const done = await taskEnded(connector.base, created.task.id);
      assert.equal(done.state, "SUCCEEDED", `${done.error}\n${run.output()}`);
    }
    await until("the inventory to show both", async () => {
      const ids = await grants(connector.base);
      return ids.includes(`${EDITOR}:user:${DAN}`) && !ids.includes(`${EDITOR}:user:${FRANK}`);
    });
    const provision = (await syncs(connector.base)).find((s) => s.trigger === "PROVISION");
    assert.equal(provision?.state, "SUCCEEDED");
  });

  it("holds grants while paused (the process keeps polling) and releases them in order", async () => {
    const connector = await serviceConnector("service-paused");
    runConnector(seedUpstream("service-paused"), connector);
    await until("the INITIAL sync", async () =>
      (await syncs(connector.base)).some((s) => s.trigger === "INITIAL" && s.state === "SUCCEEDED"),
    );
    await api("POST", `${connector.base}/pause`, { body: {} });
    const first = await api("POST", `${connector.base}/provisioning/grant`, {
      body: { entitlementId: SALES, principal: user(ALICE) },
    });
    const second = await api("POST", `${connector.base}/provisioning/grant`, {
      body: { entitlementId: EDITOR, principal: user(DAN) },
    });
    assert.equal(first.task.state, "HELD");
    assert.equal(second.task.state, "HELD");
    const seen = (await connectorView(connector.base)).serviceConnection.lastSeenAt as string;
    await until("the process to poll again while paused", async () => {
      const view = await connectorView(connector.base);
      return Date.parse(view.serviceConnection.lastSeenAt) > Date.parse(seen);
    });
    assert.equal((await task(connector.base, first.task.id)).state, "HELD");
    assert.equal((await task(connector.base, second.task.id)).state, "HELD");

    await api("POST", `${connector.base}/resume`, { body: {} });
    const a = await taskEnded(connector.base, first.task.id);
    const b = await taskEnded(connector.base, second.task.id);
    assert.equal(a.state, "SUCCEEDED", a.error);
    assert.equal(b.state, "SUCCEEDED", b.error);
    assert.ok(Date.parse(a.startedAt) <= Date.parse(b.startedAt), "creation order");
    await until("the inventory to show both", async () => {
      const ids = await grants(connector.base);
      return ids.includes(`${SALES}:user:${ALICE}`) && ids.includes(`${EDITOR}:user:${DAN}`);
    });
  });

  it("retries a sync whose process died mid-sync, once a process calls in again", async () => {
    const connector = await serviceConnector("service-crash");
    // A FAKE dial-in client: takes the INITIAL sync, heartbeats once, and stops answering.
    const tokenResponse = await api("POST", "/auth/v1/token", {
      form: {
        grant_type: "client_credentials",
        client_id: connector.clientId,
        client_secret: connector.clientSecret,
      },
    });
    const client: Client<typeof BatonService> = createClient(
      BatonService,
      createGrpcTransport({
        baseUrl: server.url,
        nodeOptions: { ca: readFileSync(certs.caFile) },
        interceptors: [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${tokenResponse.access_token as string}`);
            return next(req);
          },
        ],
      }),
    );
    const got = await until("the fake to be handed the sync", async () => {
      const response = await client.getTask(create(GetTaskRequestSchema, { hostId: "fake" }));
      return response.task?.taskType.case === "syncFull" ? response.task : null;
    });
    const beat = await client.heartbeat(
      create(HeartbeatRequestSchema, { hostId: "fake", taskId: got.id }),
    );
    assert.equal(beat.cancelled, false);
    // The fake stops here. Its lease (3 heartbeats) runs out and the sync is queued again.
    await until("the sync to be queued again", async () => {
      const sync = (await syncs(connector.base)).find((s) => s.id === got.id);
      return sync?.state === "QUEUED" && sync.attempt === 1 ? sync : null;
    });
    const late = await client.heartbeat(
      create(HeartbeatRequestSchema, { hostId: "fake", taskId: got.id }),
    );
    assert.equal(late.cancelled, true, "the dead process's late heartbeat is told to stop");
    // A real process comes back and finishes it.
    runConnector(seedUpstream("service-crash"), connector);
    const done = await until("the retried sync", async () => {
      const sync = (await syncs(connector.base)).find((s) => s.id === got.id);
      return sync?.state === "SUCCEEDED" ? sync : null;
    });
    assert.equal(done.attempt, 2);
  });

  it("refuses a wrong secret, and hands out nothing", async () => {
    const connector = await serviceConnector("service-wrong");
    const rotated = await api("POST", "/api/v1/apps/connectors/credentials", {
      body: { appId: connector.appId, connectorId: connector.connectorId },
    });
    // The first secret was revoked by the rotation: the process cannot get a token. Its SDK
    // (v0.2.51) keeps retrying instead of exiting; the refusal is in its log.
    const run = runConnector(seedUpstream("service-wrong"), connector);
    await until("the connector to log its refusal", async () =>
      /unauthenticated|invalid_client|401/i.test(run.output()) ? true : null,
    );
    const list = await syncs(connector.base);
    assert.deepEqual(
      list.map((s) => `${s.trigger}:${s.state}`),
      ["INITIAL:QUEUED"],
      "nothing handed out",
    );
    assert.ok(rotated.credential.clientSecret);
    assert.equal((await connectorView(connector.base)).serviceConnection, undefined);
  });
});

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    if (child.pid) process.kill(-child.pid, "SIGINT");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}
