// What an operator sees in the log at the default level: one line per successful mutation (route,
// operation, object ids, principal, request id — never a secret), nothing for reads, and the
// shutdown's progress.

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import pino from "pino";
import { startTestServer } from "../helpers/server.js";

type Line = Record<string, unknown>;

function capture(): { logger: pino.Logger; lines: Line[]; text: () => string } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const lines: Line[] = [];
  const logger = pino({ level: "info" }, stream);
  return {
    logger,
    lines,
    text: () => {
      lines.length = 0;
      for (const line of raw.join("").split("\n").filter(Boolean)) {
        lines.push(JSON.parse(line) as Line);
      }
      return raw.join("");
    },
  };
}

describe("the server's log at the default level", () => {
  it("writes one line per successful mutation, none for reads, and its shutdown", async () => {
    const log = capture();
    const server = await startTestServer({ logger: log.logger });
    const token = await server.token("admin");
    const created = await server.call("POST", "/api/v1/apps", {
      body: { displayName: "Logged" },
      headers: { "x-request-id": "req-logging-1" },
    });
    assert.equal(created.status, 200);
    const appId = (created.body.app as { id: string }).id;
    await server.call("POST", `/api/v1/apps/${appId}`, {
      body: { app: { displayName: "Renamed" }, updateMask: "displayName" },
    });
    await server.call("GET", `/api/v1/apps/${appId}`);
    const refused = await server.call("POST", `/api/v1/apps/${appId}?dry_run=true`, {
      body: { app: { displayName: "Nope" }, updateMask: "displayName" },
    });
    assert.equal(refused.status, 400);
    await server.stop();

    const all = log.text();
    assert.ok(!all.includes(token), "the access token is never logged");
    assert.ok(!all.includes(server.admin.clientSecret), "nor the client secret");
    const mutations = log.lines.filter((line) => line.msg === "mutation");
    assert.equal(mutations.length, 2, JSON.stringify(mutations));
    assert.deepEqual(
      {
        route: mutations[0]?.route,
        operation: mutations[0]?.operation,
        requestId: mutations[0]?.requestId,
        client: mutations[0]?.client,
        status: mutations[0]?.status,
        level: mutations[0]?.level,
      },
      {
        route: "/api/v1/apps",
        operation: "c1.api.app.v1.Apps.Create",
        requestId: "req-logging-1",
        client: server.admin.clientId,
        status: 200,
        level: 30,
      },
    );
    assert.deepEqual(mutations[1]?.ids, { id: appId });
    assert.equal(mutations[1]?.operation, "c1.api.app.v1.Apps.Update");
    assert.ok(
      !log.lines.some((line) => line.method === "GET" || String(line.url).includes("token")),
      "reads and token exchanges are not logged at info",
    );
    const rejected = log.lines.filter((line) => line.msg === "request" && line.status === 400);
    assert.equal(rejected.length, 1, "a refused request is logged as a request, not a mutation");
    const messages = log.lines.map((line) => line.msg);
    assert.ok(messages.includes("shutting down: no new requests or syncs"), String(messages));
    assert.equal(messages.at(-1), "stopped");
  });
});
