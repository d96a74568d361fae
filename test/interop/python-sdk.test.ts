// The official ConductorOne Python SDK (conductorone-sdk, unmodified) against a real syncplane
// serving HTTPS with a test CA that the SDK trusts through SSL_CERT_FILE, as a C1 client would be
// set up for a self-hosted endpoint: connector Get and List, ConfirmSyncValid on a sync held for
// a data drop, PauseSync, ForceSync refused while paused, ResumeSync, ForceSync, and
// GetConnectorSyncDownloadURL whose URL serves the c1z. The Go SDK has a test of its own
// (go-sdk.test.ts).
// The SDK is installed into test/interop/.venv by scripts/setup-python-sdk.sh (.ci/run runs it).

import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { FAKE_BATON_DEMO, interopBinary } from "../helpers/baton.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { httpsOk, makeTestCertificates, type TestCertificates } from "../helpers/tls.js";
import { PROCESS_LIMIT_MS, STUCK_MS, until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HERE = fileURLToPath(new URL(".", import.meta.url));
const PYTHON = join(HERE, ".venv/bin/python");

describe(
  "official C1 Python SDK",
  { skip: interopBinary(FAKE_BATON_DEMO).skip || interopBinary(PYTHON).skip },
  () => {
    let server: TestServer;
    let certs: TestCertificates;
    let adminToken = "";
    before(async () => {
      certs = makeTestCertificates(tempDir("syncplane-pysdk-tls-"));
      server = await startTestServer({
        flags: { roles: "api,scheduler,worker", tlsCert: certs.certFile, tlsKey: certs.keyFile },
      });
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: server.admin.clientId,
        client_secret: server.admin.clientSecret,
      }).toString();
      const token = await https(
        "POST",
        "/auth/v1/token",
        form,
        "application/x-www-form-urlencoded",
      );
      adminToken = (token as { access_token: string }).access_token;
    });

    /** The test's own calls, over HTTPS with the test CA (fetch cannot be given a CA). */
    function https(method: string, path: string, body?: string, type = "application/json") {
      return httpsOk(server.url + path, {
        method,
        ca: readFileSync(certs.caFile),
        token: adminToken,
        ...(body !== undefined ? { raw: { body, contentType: type } } : {}),
      });
    }
    after(async () => {
      await server.stop();
    });

    it("drives the connector operations through the SDK's own models", async () => {
      const dir = tempDir("syncplane-pysdk-");
      const upstream = join(dir, "demo.db");
      execFileSync(
        FAKE_BATON_DEMO,
        ["--db-file", upstream, "--init-db", "-f", join(dir, "s.c1z")],
        {
          stdio: "ignore",
        },
      );
      const app = await https("POST", "/api/v1/apps", JSON.stringify({ displayName: "py" }));
      const appId = (app.app as Json).id as string;
      const created = await https(
        "POST",
        `/api/v1/apps/${appId}/connectors/create`,
        JSON.stringify({
          catalogId: "baton",
          config: {
            "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
            command: FAKE_BATON_DEMO,
            args: ["--db-file", upstream],
          },
        }),
      );
      const connectorId = ((created.connectorView as Json).connector as Json).id as string;
      const base = `/api/v1/apps/${appId}/connectors/${connectorId}`;
      const latest = async () =>
        ((await https("GET", `${base}/syncs?page_size=1`)).list as Json[])[0];
      const first = await until(
        "the initial sync",
        async () => {
          const sync = await latest();
          return sync?.state === "SUCCEEDED" ? sync : null;
        },
        STUCK_MS,
      );
      const db = new Database(upstream);
      db.prepare("DELETE FROM users WHERE id > 'user-0000004'").run();
      db.close();
      await https("POST", `${base}/force_sync`);
      const held = await until(
        "the held sync",
        async () => {
          const sync = await latest();
          return sync?.state === "ERRORED_NO_DATA" ? sync : null;
        },
        STUCK_MS,
      );

      const operator = await server.credential("operator");
      // Asynchronously: the server under test runs in this process.
      const { stdout } = await promisify(execFile)(
        PYTHON,
        [join(HERE, "python-sdk/drive_c1_sdk.py")],
        {
          env: {
            PATH: process.env.PATH ?? "",
            SERVER_URL: server.url,
            SSL_CERT_FILE: certs.caFile,
            CLIENT_ID: operator.clientId,
            CLIENT_SECRET: operator.clientSecret,
            APP_ID: appId,
            CONNECTOR_ID: connectorId,
            HELD_SYNC_ID: held.id as string,
            APPLIED_SYNC_ID: first.id as string,
          },
          encoding: "utf8",
          timeout: PROCESS_LIMIT_MS,
        },
      );
      const seen = JSON.parse(stdout) as Json;
      assert.deepEqual(seen.get, {
        status: 200,
        id: connectorId,
        catalogId: "baton",
        syncStatus: "SYNC_STATUS_ERROR",
        lastError: "user: 25 → 5 (-80.0%)",
        syncDisabledCategory: "DATA_DROP",
      });
      assert.deepEqual(seen.list, [connectorId]);
      assert.equal(seen.confirm, 200);
      assert.equal(seen.pause, 200);
      assert.equal(seen.afterPause.syncStatus, "SYNC_STATUS_DISABLED");
      assert.equal(seen.afterPause.canResumeSync, true);
      assert.equal(seen.forceWhilePaused.status, 400);
      assert.equal(seen.forceWhilePaused.code, 9);
      assert.match(seen.forceWhilePaused.message, /paused/);
      assert.equal(seen.resume, 200);
      assert.equal(seen.force, 200);
      assert.deepEqual(
        { status: seen.download.status, magic: seen.download.magic },
        { status: 200, magic: "C1ZF" },
      );
      assert.ok(seen.download.bytes > 1000);
      assert.deepEqual(seen.getUnknown.status, 404);
      assert.equal(seen.getUnknown.code, 5);
      assert.match(server.url, /^https:/);
      const confirmed = (await https("GET", `${base}/syncs/${held.id}`)).syncLifecycle as Json;
      assert.equal(confirmed.state, "CONFIRMED");
    });
  },
);
