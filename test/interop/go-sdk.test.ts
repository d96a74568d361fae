// The official ConductorOne Go SDK (conductorone-sdk-go v1.27.1, unmodified) against a real
// syncplane serving HTTPS with a test CA that the Go process trusts through SSL_CERT_FILE, as a C1
// client would be set up for a self-hosted endpoint. test/interop/go-sdk (built to
// test/interop/bin/c1-go-sdk by scripts/build-interop.sh) runs connector Get and List and the five
// seed operations through the SDK, checking each answer and what Get reads back; it runs twice,
// once with a bearer token and once with the SDK's own NewWithCredentials (an Ed25519 client
// assertion exchanged at /auth/v1/token), each on a fresh connector with a sync held for a data
// drop. This file checks the program's report against the server's own view.

import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { C1_GO_SDK, FAKE_BATON_DEMO, interopBinary } from "../helpers/baton.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { httpsOk, makeTestCertificates, type TestCertificates } from "../helpers/tls.js";
import { PROCESS_LIMIT_MS, STUCK_MS, until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CRON_SPEC = "30 2 * * 1-5";
const TIMEZONE = "Europe/Berlin";
const STEPS = [
  "get",
  "get_unknown",
  "list",
  "confirm_sync_valid",
  "pause",
  "force_sync_while_paused",
  "resume",
  "force_sync",
  "update_schedule",
  "update_schedule_invalid",
];

interface HeldConnector {
  appId: string;
  connectorId: string;
  base: string;
  heldSyncId: string;
}

describe(
  "official C1 Go SDK",
  { skip: interopBinary(FAKE_BATON_DEMO).skip || interopBinary(C1_GO_SDK).skip },
  () => {
    let server: TestServer;
    let certs: TestCertificates;
    let adminToken = "";
    before(async () => {
      certs = makeTestCertificates(tempDir("syncplane-gosdk-tls-"));
      server = await startTestServer({
        flags: { roles: "api,scheduler,worker", tlsCert: certs.certFile, tlsKey: certs.keyFile },
      });
      adminToken = await exchange(server.admin);
    });
    after(async () => {
      await server.stop();
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

    /** A token for a credential, by the plain-secret flow (the SDK run with --auth bearer). */
    async function exchange(creds: { clientId: string; clientSecret: string }): Promise<string> {
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: creds.clientId,
        client_secret: creds.clientSecret,
      }).toString();
      const token = await https(
        "POST",
        "/auth/v1/token",
        form,
        "application/x-www-form-urlencoded",
      );
      return (token as { access_token: string }).access_token;
    }

    /**
     * A fresh app with a baton connector running FAKE-baton-demo: its initial sync of 25 users is
     * applied, then 20 users are deleted upstream and a forced sync is held in ERRORED_NO_DATA.
     */
    async function heldConnector(name: string): Promise<HeldConnector> {
      const dir = tempDir("syncplane-gosdk-");
      const upstream = join(dir, "demo.db");
      execFileSync(
        FAKE_BATON_DEMO,
        ["--db-file", upstream, "--init-db", "-f", join(dir, "s.c1z")],
        { stdio: "ignore" },
      );
      const app = await https("POST", "/api/v1/apps", JSON.stringify({ displayName: name }));
      const appId = (app.app as Json).id as string;
      const created = await https(
        "POST",
        `/api/v1/apps/${appId}/connectors/create`,
        JSON.stringify({
          catalogId: "baton",
          displayName: name,
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
      await until(
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
      return { appId, connectorId, base, heldSyncId: held.id as string };
    }

    /** Runs c1-go-sdk; returns its report, one JSON line per step, by step name. */
    async function runGoSdk(
      target: HeldConnector,
      auth: Record<string, string>,
    ): Promise<Map<string, Json>> {
      let stdout = "";
      try {
        // Asynchronously: the server under test runs in this process.
        ({ stdout } = await promisify(execFile)(C1_GO_SDK, [], {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            SSL_CERT_FILE: certs.caFile,
            SERVER_URL: server.url,
            APP_ID: target.appId,
            CONNECTOR_ID: target.connectorId,
            HELD_SYNC_ID: target.heldSyncId,
            ...auth,
          },
          encoding: "utf8",
          timeout: PROCESS_LIMIT_MS,
        }));
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        assert.fail(
          `c1-go-sdk exited with ${failed.code}\nstdout:\n${failed.stdout}\nstderr:\n${failed.stderr}`,
        );
      }
      const steps = new Map<string, Json>();
      for (const line of stdout.split("\n").filter(Boolean)) {
        const step = JSON.parse(line) as Json;
        steps.set(step.step as string, step);
      }
      assert.deepEqual([...steps.keys()], STEPS);
      for (const step of steps.values()) assert.equal(step.ok, true, JSON.stringify(step));
      return steps;
    }

    /** What every run must have seen, and the server's own view after it. */
    async function checkRun(target: HeldConnector, steps: Map<string, Json>, clientId: string) {
      const details = (name: string) => steps.get(name)?.details as Json;
      const { syncDisabledAt, ...got } = details("get");
      assert.deepEqual(got, {
        id: target.connectorId,
        appId: target.appId,
        catalogId: "baton",
        syncStatus: "SYNC_STATUS_ERROR",
        lastError: "user: 25 → 5 (-80.0%)",
        syncDisabledCategory: "DATA_DROP",
        syncDisabledReason: "user: 25 → 5 (-80.0%)",
        canResumeSync: false,
      });
      assert.ok(!Number.isNaN(Date.parse(syncDisabledAt as string)));
      assert.deepEqual(
        { httpStatus: details("get_unknown").httpStatus, code: details("get_unknown").code },
        { httpStatus: 404, code: 5 },
      );
      assert.deepEqual(details("list").ids, [target.connectorId]);
      assert.equal(details("confirm_sync_valid").status, 200);
      assert.notEqual(details("confirm_sync_valid").syncDisabledCategory, "DATA_DROP");

      const paused = details("pause");
      assert.equal(paused.syncStatus, "SYNC_STATUS_DISABLED");
      assert.equal(paused.syncDisabledCategory, "PAUSED");
      assert.equal(paused.canResumeSync, true);
      assert.equal(paused.syncDisabledReason, `paused by ${clientId}`);
      assert.ok(!Number.isNaN(Date.parse(paused.syncDisabledAt as string)));

      const refused = details("force_sync_while_paused");
      assert.equal(refused.httpStatus, 400);
      assert.equal(refused.code, 9);
      assert.match(refused.message as string, /paused/);
      assert.deepEqual(JSON.parse(refused.body as string), {
        code: 9,
        message: refused.message,
        details: [],
      });

      assert.equal(details("resume").status, 200);
      assert.notEqual(details("resume").syncStatus, "SYNC_STATUS_DISABLED");
      assert.equal(details("resume").canResumeSync, false);
      assert.equal(details("force_sync").status, 200);
      assert.deepEqual(details("update_schedule").schedule, {
        cronSpec: CRON_SPEC,
        timezone: TIMEZONE,
      });
      assert.equal(details("update_schedule_invalid").httpStatus, 400);
      assert.equal(details("update_schedule_invalid").code, 3);
      assert.deepEqual(details("update_schedule_invalid").schedule, {
        cronSpec: CRON_SPEC,
        timezone: TIMEZONE,
      });

      // The server's own view of what the SDK did.
      const confirmed = (await https("GET", `${target.base}/syncs/${target.heldSyncId}`))
        .syncLifecycle as Json;
      assert.equal(confirmed.state, "CONFIRMED");
      const syncs = (await https("GET", `${target.base}/syncs?page_size=50`)).list as Json[];
      const triggers = new Set(syncs.map((sync) => sync.trigger as string));
      for (const trigger of ["CONFIRM", "RESUME"])
        assert.ok(triggers.has(trigger), `no ${trigger} sync in ${[...triggers].join(", ")}`);
      const schedule = await https("GET", `${target.base}/schedule`);
      assert.deepEqual(schedule.cron, { cronSpec: CRON_SPEC, timezone: TIMEZONE });
      assert.ok((schedule.nextFireTimes as string[]).length > 0);
      const berlin = new Intl.DateTimeFormat("en-GB", {
        timeZone: TIMEZONE,
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
      });
      for (const at of schedule.nextFireTimes as string[]) {
        const local = berlin.format(new Date(at));
        assert.match(local, /^(Mon|Tue|Wed|Thu|Fri) 02:30$/, `${at} is ${local} in Berlin`);
      }
    }

    it("drives the seed operations with a bearer token", async () => {
      const target = await heldConnector("go-sdk bearer");
      const operator = await server.credential("operator");
      const token = await exchange(operator);
      const steps = await runGoSdk(target, { AUTH_MODE: "bearer", BEARER_TOKEN: token });
      await checkRun(target, steps, operator.clientId);
    });

    it("drives the seed operations with the SDK's own client-credential token source", async () => {
      const target = await heldConnector("go-sdk credentials");
      const operator = await server.credential("operator");
      const steps = await runGoSdk(target, {
        AUTH_MODE: "credentials",
        CLIENT_ID: operator.clientId,
        CLIENT_SECRET: operator.clientSecret,
      });
      await checkRun(target, steps, operator.clientId);
    });
  },
);
