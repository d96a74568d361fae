// BatonService at the protocol level, with a gRPC client of our own standing in for a connector
// process (a FAKE connector: it sends what baton sends, from shared/reference/baton.md §2) over
// TLS on the API's port: authentication and scoping (no token → UNAUTHENTICATED, other roles and
// other connectors' tasks → PERMISSION_DENIED), GetTask's sync_full with storage_engine sqlite,
// Hello's presence, Heartbeat, UploadAsset (SHA-256 checked, size-bounded), FinishTask into the
// same ingest and data-drop guard as one-shot syncs, error FinishTasks, nothing while paused,
// RotateCredential revoking the previous secret, a grant task carrying the objects read from the
// kept applied c1z, and a slim grant completed for a revoke task.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  BatonService,
  FinishTaskRequestSchema,
  GetTaskRequestSchema,
  HeartbeatRequestSchema,
  HelloRequestSchema,
  UploadAssetRequestSchema,
  type UploadAssetRequest,
} from "../../src/gen/c1/connectorapi/baton/v1/baton_pb.js";
import { completeGrant } from "../../src/service/task-objects.js";
import { writeC1z, type C1zFixture } from "../helpers/c1z.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { httpsCall, makeTestCertificates, type TestCertificates } from "../helpers/tls.js";
import { until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const directory = (users: number): C1zFixture => ({
  resourceTypes: [
    { id: "user", displayName: "User", traits: ["USER"] },
    { id: "group", displayName: "Group", traits: ["GROUP"] },
  ],
  resources: [
    ...Array.from({ length: users }, (_, i) => ({
      resourceTypeId: "user",
      resourceId: `u${i}`,
      displayName: `User ${i}`,
    })),
    { resourceTypeId: "group", resourceId: "g1", displayName: "Admins" },
  ],
  entitlements: [
    { resourceTypeId: "group", resourceId: "g1", slug: "member", displayName: "Admins member" },
  ],
  grants: [
    { entitlementId: "group:g1:member", principal: { resourceTypeId: "user", resourceId: "u0" } },
  ],
});

describe("BatonService (protocol)", () => {
  let server: TestServer;
  let certs: TestCertificates;
  let dir: string;
  let adminToken = "";

  before(async () => {
    dir = tempDir("syncplane-batonservice-");
    certs = makeTestCertificates(tempDir("syncplane-batonservice-tls-"));
    server = await startTestServer({
      flags: {
        roles: "api,scheduler,worker",
        tlsCert: certs.certFile,
        tlsKey: certs.keyFile,
        servicePollSeconds: "0.2",
        serviceHeartbeatSeconds: "1",
      },
    });
    adminToken = (
      await api("POST", "/auth/v1/token", {
        form: {
          grant_type: "client_credentials",
          client_id: server.admin.clientId,
          client_secret: server.admin.clientSecret,
        },
      })
    ).body.access_token as string;
  });
  after(async () => {
    await server.stop();
  });

  const api = (
    method: string,
    path: string,
    options: { body?: unknown; form?: Record<string, string> } = {},
  ) =>
    httpsCall(server.url + path, {
      method,
      ca: readFileSync(certs.caFile),
      token: adminToken,
      ...options,
    });

  async function serviceConnector(name: string) {
    const app = await api("POST", "/api/v1/apps", { body: { displayName: name } });
    const appId = app.body.app.id as string;
    const created = await api("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { catalogId: "baton-service", displayName: name },
    });
    const connectorId = created.body.connectorView.connector.id as string;
    const rotated = await api("POST", "/api/v1/apps/connectors/credentials", {
      body: { appId, connectorId },
    });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const { clientId, clientSecret } = rotated.body.credential as Json;
    const token = await api("POST", "/auth/v1/token", {
      form: { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret },
    });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    return {
      appId,
      connectorId,
      base: `/api/v1/apps/${appId}/connectors/${connectorId}`,
      clientId: clientId as string,
      clientSecret: clientSecret as string,
      client: clientFor(token.body.access_token as string),
    };
  }

  function clientFor(token: string | null): Client<typeof BatonService> {
    return createClient(
      BatonService,
      createGrpcTransport({
        baseUrl: server.url,
        nodeOptions: { ca: readFileSync(certs.caFile) },
        interceptors: [
          (next) => (req) => {
            if (token !== null) req.header.set("authorization", `Bearer ${token}`);
            return next(req);
          },
        ],
      }),
    );
  }

  const codeOf = async (call: Promise<unknown>): Promise<Code> => {
    try {
      await call;
    } catch (error) {
      return ConnectError.from(error).code;
    }
    return -1 as Code;
  };

  async function* uploadOf(taskId: string, bytes: Uint8Array, checksum?: Uint8Array) {
    yield create(UploadAssetRequestSchema, {
      msg: { case: "metadata", value: { hostId: "fake", taskId } },
    }) as UploadAssetRequest;
    for (let i = 0; i < bytes.length; i += 512 * 1024) {
      yield create(UploadAssetRequestSchema, {
        msg: { case: "data", value: { data: bytes.subarray(i, i + 512 * 1024) } },
      }) as UploadAssetRequest;
    }
    yield create(UploadAssetRequestSchema, {
      msg: {
        case: "eof",
        value: { sha256Checksum: checksum ?? createHash("sha256").update(bytes).digest() },
      },
    }) as UploadAssetRequest;
  }

  const getTask = (c: Client<typeof BatonService>) =>
    c.getTask(create(GetTaskRequestSchema, { hostId: "fake" }));
  const syncOf = async (base: string, id: string) =>
    (await api("GET", `${base}/syncs/${id}`)).body.syncLifecycle as Json;

  it("refuses callers without a connector credential, and other connectors' tasks", async () => {
    const mine = await serviceConnector("auth-a");
    const other = await serviceConnector("auth-b");
    assert.equal(await codeOf(getTask(clientFor(null))), Code.Unauthenticated);
    assert.equal(await codeOf(getTask(clientFor(""))), Code.Unauthenticated);
    assert.equal(await codeOf(getTask(clientFor("not-a-token"))), Code.Unauthenticated);
    assert.equal(await codeOf(getTask(clientFor(adminToken))), Code.PermissionDenied);
    const task = (await getTask(other.client)).task;
    assert.ok(task, "the other connector gets its INITIAL sync");
    for (const call of [
      () => mine.client.heartbeat(create(HeartbeatRequestSchema, { hostId: "x", taskId: task.id })),
      () =>
        mine.client.finishTask(
          create(FinishTaskRequestSchema, {
            taskId: task.id,
            finalState: { case: "success", value: {} },
          }),
        ),
      () => mine.client.uploadAsset(uploadOf(task.id, new Uint8Array([1, 2, 3]))),
    ]) {
      assert.equal(await codeOf(call()), Code.PermissionDenied);
    }
    // Rotating revokes the credential: its token stops working at once.
    await api("POST", "/api/v1/apps/connectors/credentials", {
      body: { appId: mine.appId, connectorId: mine.connectorId },
    });
    assert.equal(await codeOf(getTask(mine.client)), Code.Unauthenticated);
    // A connector syncplane runs itself has no credential to dial in with.
    const app = await api("POST", "/api/v1/apps", { body: { displayName: "file" } });
    const file = await api("POST", `/api/v1/apps/${app.body.app.id}/connectors/create`, {
      body: {
        catalogId: "file",
        config: {
          "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
          path: "/x.json",
        },
      },
    });
    const refused = await api("POST", "/api/v1/apps/connectors/credentials", {
      body: { appId: app.body.app.id, connectorId: file.body.connectorView.connector.id },
    });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /only "baton-service" connectors dial in/);
  });

  it("hands out a sync, takes its upload and finish, and runs it through the data-drop guard", async () => {
    const c = await serviceConnector("sync");
    await c.client.hello(
      create(HelloRequestSchema, {
        hostId: "fake-host",
        buildInfo: { package: "fake-connector", packageVersion: "0.0.1", langVersion: "go1.26" },
      }),
    );
    const response = await getTask(c.client);
    const task = response.task;
    assert.ok(task);
    assert.equal(task.taskType.case, "syncFull");
    assert.equal(task.taskType.case === "syncFull" && task.taskType.value.storageEngine, "sqlite");
    assert.equal(response.nextPoll?.nanos, 200_000_000);
    assert.equal((await syncOf(c.base, task.id)).state, "RUNNING");
    const beat = await c.client.heartbeat(create(HeartbeatRequestSchema, { taskId: task.id }));
    assert.equal(beat.cancelled, false);
    assert.equal(Number(beat.nextHeartbeat?.seconds), 1);

    const path = join(dir, "sync-1.c1z");
    await writeC1z(path, directory(20));
    const bytes = readFileSync(path);
    // A wrong checksum is refused and nothing is kept.
    const bad = await codeOf(c.client.uploadAsset(uploadOf(task.id, bytes, new Uint8Array(32))));
    assert.equal(bad, Code.DataLoss);
    await c.client.uploadAsset(uploadOf(task.id, bytes));
    await c.client.finishTask(
      create(FinishTaskRequestSchema, {
        taskId: task.id,
        finalState: { case: "success", value: {} },
      }),
    );
    const done = await until("the sync to be applied", async () => {
      const sync = await syncOf(c.base, task.id);
      return sync.state === "SUCCEEDED" ? sync : null;
    });
    assert.deepEqual(done.counts.resources, { group: 1, user: 20 });
    const view = (await api("GET", c.base)).body.connectorView.connector as Json;
    assert.equal(view.serviceConnection.hostId, "fake-host");
    assert.equal(view.serviceConnection.sdk, "fake-connector 0.0.1 (go1.26)");
    assert.equal(view.serviceConnection.connected, true);

    // A drop is held like a one-shot sync's.
    assert.equal((await api("POST", `${c.base}/force_sync`, { body: {} })).status, 200);
    const next = await until("the forced sync", async () => (await getTask(c.client)).task ?? null);
    const dropPath = join(dir, "sync-2.c1z");
    await writeC1z(dropPath, directory(2));
    await c.client.uploadAsset(uploadOf(next.id, readFileSync(dropPath)));
    await c.client.finishTask(
      create(FinishTaskRequestSchema, {
        taskId: next.id,
        finalState: { case: "success", value: {} },
      }),
    );
    const held = await until("the drop to be held", async () => {
      const sync = await syncOf(c.base, next.id);
      return sync.state === "ERRORED_NO_DATA" ? sync : null;
    });
    assert.equal(held.error, "user: 20 → 2 (-90.0%)");
  });

  it("hands out a grant carrying the connector's objects from the kept applied c1z", async () => {
    const c = await serviceConnector("grant");
    const sync = await until("a sync", async () => (await getTask(c.client)).task ?? null);
    const path = join(dir, "sync-grant.c1z");
    await writeC1z(path, directory(3));
    await c.client.uploadAsset(uploadOf(sync.id, readFileSync(path)));
    await c.client.finishTask(
      create(FinishTaskRequestSchema, {
        taskId: sync.id,
        finalState: { case: "success", value: {} },
      }),
    );
    await until("the sync to be applied", async () =>
      (await syncOf(c.base, sync.id)).state === "SUCCEEDED" ? true : null,
    );
    const requested = await api("POST", `${c.base}/provisioning/grant`, {
      body: {
        entitlementId: "group:g1:member",
        principal: { resourceTypeId: "user", resourceId: "u2" },
      },
    });
    assert.equal(requested.status, 200, JSON.stringify(requested.body));
    const task = await until("the grant", async () => (await getTask(c.client)).task ?? null);
    assert.equal(task.taskType.case, "grant");
    const grant = task.taskType.case === "grant" ? task.taskType.value : null;
    assert.ok(grant?.entitlement && grant.principal);
    // The bytes the connector's own sync wrote (c1.connector.v2.Entitlement and Resource).
    assert.match(Buffer.from(grant.entitlement).toString("latin1"), /Admins member/);
    assert.match(Buffer.from(grant.principal).toString("latin1"), /User 2/);
  });

  it("retries a retryable failure, ends a non-retryable one ERRORED, and gives nothing while paused", async () => {
    const c = await serviceConnector("failures");
    const first = (await getTask(c.client)).task;
    assert.ok(first);
    await c.client.finishTask(
      create(FinishTaskRequestSchema, {
        taskId: first.id,
        status: { code: 14, message: "upstream unavailable" },
        finalState: { case: "error", value: { nonRetryable: false } },
      }),
    );
    const retried = await syncOf(c.base, first.id);
    assert.equal(retried.state, "QUEUED");
    assert.match(retried.error, /the connector failed the sync: upstream unavailable/);

    await api("POST", `${c.base}/pause`, { body: {} });
    const paused = await getTask(c.client);
    assert.equal(paused.task, undefined, "nothing while paused");
    await api("POST", `${c.base}/resume`, { body: {} });
    const again = await until(
      "a sync after resume",
      async () => (await getTask(c.client)).task ?? null,
    );
    await c.client.finishTask(
      create(FinishTaskRequestSchema, {
        taskId: again.id,
        status: { code: 3, message: "bad configuration" },
        finalState: { case: "error", value: { nonRetryable: true } },
      }),
    );
    const ended = await syncOf(c.base, again.id);
    assert.equal(ended.state, "ERRORED");
    // A finish without an upload is a failure that can be retried.
    await api("POST", `${c.base}/force_sync`, { body: {} });
    const third = await until("a forced sync", async () => (await getTask(c.client)).task ?? null);
    await c.client.finishTask(
      create(FinishTaskRequestSchema, {
        taskId: third.id,
        finalState: { case: "success", value: {} },
      }),
    );
    assert.match((await syncOf(c.base, third.id)).error, /without uploading its c1z/);
  });

  it("completes a slim grant with its entitlement and principal for a revoke task", () => {
    const entitlement = new Uint8Array([0x12, 0x01, 0x65]); // {2: "e"}
    const principal = new Uint8Array([0x1a, 0x01, 0x70]); // {3: "p"}
    const slim = new Uint8Array([0x1a, 0x02, 0x69, 0x64]); // {3: "id"}
    const full = completeGrant(slim, entitlement, principal);
    const fields: number[] = [];
    const reader = new BinaryReader(full);
    while (reader.pos < reader.len) {
      const [field, wire] = reader.tag();
      fields.push(field);
      reader.skip(wire, field);
    }
    assert.deepEqual(fields, [1, 2, 3]);
    assert.equal(
      completeGrant(full, entitlement, principal),
      full,
      "a full grant is kept as it is",
    );
  });
});
