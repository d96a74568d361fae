// A service-mode connector talking to two syncplane nodes on one PostgreSQL: each call may reach
// any node (a load balancer in front of them). GetTask and UploadAsset go to node A, Heartbeat
// and FinishTask to node B: the upload is kept in the shared database, so node B reads it, the
// sync is applied and its c1z downloads from either node. A retried attempt does not reuse an
// earlier attempt's upload. The connector is a FAKE client of our own that sends what baton
// sends (shared/reference/baton.md §2).

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import { parseServeConfig } from "../../src/config/config.js";
import {
  BatonService,
  FinishTaskRequestSchema,
  GetTaskRequestSchema,
  HeartbeatRequestSchema,
  UploadAssetRequestSchema,
  type UploadAssetRequest,
} from "../../src/gen/c1/connectorapi/baton/v1/baton_pb.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { writeC1z } from "../helpers/c1z.js";
import { freshDatabaseUrl } from "../helpers/postgres.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { httpsCall, makeTestCertificates, type TestCertificates } from "../helpers/tls.js";
import { until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("a service-mode connector behind two nodes on one PostgreSQL", () => {
  let certs: TestCertificates;
  let nodeA: TestServer;
  let nodeB: RunningServer;
  let adminToken = "";
  let dir: string;

  before(async () => {
    const url = await freshDatabaseUrl();
    dir = tempDir("syncplane-service-nodes-");
    certs = makeTestCertificates(tempDir("syncplane-service-nodes-tls-"));
    const tls = { tlsCert: certs.certFile, tlsKey: certs.keyFile, serviceHeartbeatSeconds: "1" };
    nodeA = await startTestServer({ flags: { roles: "api", databaseUrl: url, ...tls } });
    nodeB = await startServer(
      parseServeConfig(
        {
          dataDir: tempDir("syncplane-service-node-b-"),
          listen: "127.0.0.1:0",
          roles: "api",
          databaseUrl: url,
          ...tls,
        },
        {},
      ),
      { logger: pino({ level: "silent" }) },
    );
    adminToken = (
      await api(nodeA.url, "POST", "/auth/v1/token", {
        form: {
          grant_type: "client_credentials",
          client_id: nodeA.admin.clientId,
          client_secret: nodeA.admin.clientSecret,
        },
      })
    ).body.access_token as string;
  });
  after(async () => {
    await nodeB?.close();
    await nodeA?.stop();
  });

  const api = (
    base: string,
    method: string,
    path: string,
    options: { body?: unknown; form?: Record<string, string> } = {},
  ) =>
    httpsCall(base + path, {
      method,
      ca: readFileSync(certs.caFile),
      token: adminToken,
      ...options,
    });

  function clientFor(baseUrl: string, token: string): Client<typeof BatonService> {
    return createClient(
      BatonService,
      createGrpcTransport({
        baseUrl,
        nodeOptions: { ca: readFileSync(certs.caFile) },
        interceptors: [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${token}`);
            return next(req);
          },
        ],
      }),
    );
  }

  async function* uploadOf(taskId: string, bytes: Uint8Array) {
    yield create(UploadAssetRequestSchema, {
      msg: { case: "metadata", value: { hostId: "fake", taskId } },
    }) as UploadAssetRequest;
    for (let i = 0; i < bytes.length; i += 512 * 1024) {
      yield create(UploadAssetRequestSchema, {
        msg: { case: "data", value: { data: bytes.subarray(i, i + 512 * 1024) } },
      }) as UploadAssetRequest;
    }
    yield create(UploadAssetRequestSchema, {
      msg: { case: "eof", value: { sha256Checksum: createHash("sha256").update(bytes).digest() } },
    }) as UploadAssetRequest;
  }

  /** The bytes at an HTTPS URL (a signed download needs no token). */
  const download = (url: string): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      https
        .get(url, { ca: readFileSync(certs.caFile) }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            res.statusCode === 200
              ? resolve(Buffer.concat(chunks))
              : reject(new Error(`${url}: ${res.statusCode}`)),
          );
        })
        .on("error", reject);
    });

  const finish = (client: Client<typeof BatonService>, taskId: string) =>
    client.finishTask(
      create(FinishTaskRequestSchema, { taskId, finalState: { case: "success", value: {} } }),
    );

  it("takes the upload on one node and the finish on the other", async () => {
    const app = await api(nodeA.url, "POST", "/api/v1/apps", { body: { displayName: "svc" } });
    const appId = app.body.app.id as string;
    const created = await api(nodeA.url, "POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { catalogId: "baton-service", displayName: "svc" },
    });
    const connectorId = created.body.connectorView.connector.id as string;
    const base = `/api/v1/apps/${appId}/connectors/${connectorId}`;
    const rotated = await api(nodeB.url, "POST", "/api/v1/apps/connectors/credentials", {
      body: { appId, connectorId },
    });
    const { clientId, clientSecret } = rotated.body.credential as Json;
    const token = (
      await api(nodeB.url, "POST", "/auth/v1/token", {
        form: {
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: clientSecret,
        },
      })
    ).body.access_token as string;
    const onA = clientFor(nodeA.url, token);
    const onB = clientFor(nodeB.url, token);

    const task = (await onA.getTask(create(GetTaskRequestSchema, { hostId: "fake" }))).task;
    assert.ok(task, "the INITIAL sync is handed out by node A");
    const path = join(dir, "one.c1z");
    await writeC1z(path, {
      resourceTypes: [{ id: "user", displayName: "User", traits: ["USER"] }],
      resources: Array.from({ length: 7 }, (_, i) => ({
        resourceTypeId: "user",
        resourceId: `u${i}`,
        displayName: `User ${i}`,
      })),
      entitlements: [],
      grants: [],
    });
    const bytes = readFileSync(path);
    await onA.uploadAsset(uploadOf(task.id, bytes));
    const beat = await onB.heartbeat(create(HeartbeatRequestSchema, { taskId: task.id }));
    assert.equal(beat.cancelled, false, "node B knows the sync is the connector's");
    await finish(onB, task.id);
    const done = await until("node B to apply the sync uploaded to node A", async () => {
      const sync = (await api(nodeA.url, "GET", `${base}/syncs/${task.id}`)).body
        .syncLifecycle as Json;
      return sync.state === "SUCCEEDED" || sync.state === "ERRORED" ? sync : null;
    });
    assert.equal(done.state, "SUCCEEDED", JSON.stringify(done));
    assert.deepEqual(done.counts.resources, { user: 7 });
    // The kept c1z is the upload, byte for byte, from either node.
    for (const node of [nodeA.url, nodeB.url]) {
      const link = await api(node, "GET", `${base}/syncs/${task.id}/download_url`);
      assert.equal(link.status, 200, JSON.stringify(link.body));
      const signed = new URL(link.body.downloadUrl as string);
      const downloaded = await download(node + signed.pathname + signed.search);
      assert.ok(downloaded.equals(bytes), `the c1z from ${node}`);
    }

    // A sync finished without an upload of its own fails, even though an earlier sync's file
    // is kept in the same tables.
    assert.equal((await api(nodeB.url, "POST", `${base}/force_sync`, { body: {} })).status, 200);
    const next = await until(
      "the forced sync",
      async () =>
        (await onB.getTask(create(GetTaskRequestSchema, { hostId: "fake" }))).task ?? null,
    );
    await finish(onA, next.id);
    const retried = await until("the finish without upload to be refused", async () => {
      const sync = (await api(nodeB.url, "GET", `${base}/syncs/${next.id}`)).body
        .syncLifecycle as Json;
      return sync.error ? sync : null;
    });
    assert.match(retried.error as string, /without uploading its c1z/);
  });
});
