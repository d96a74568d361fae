// bench/service-mode: see README.md beside this file.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, constants } from "node:http2";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  FinishTaskRequestSchema,
  GetTaskRequestSchema,
  GetTaskResponseSchema,
  UploadAssetRequestSchema,
} from "../../src/gen/c1/connectorapi/baton/v1/baton_pb.js";
import { writeC1z } from "../../test/helpers/c1z.js";
import { percentile } from "../lib/stats.js";
import { createHash } from "node:crypto";

const ROOT = join(import.meta.dirname, "../..");
const SIZES = (process.env.BENCH_CONNECTORS ?? "100,1000").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const POLL_SECONDS = Number(process.env.BENCH_POLL_SECONDS ?? 5);
const SERVICE = "/c1.connectorapi.baton.v1.BatonService";
/** The held-task phase polls until every grant is handed out, or this long. */
const RELEASE_LIMIT_SECONDS = 300;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Server {
  url: string;
  ca: Buffer;
  process: ChildProcess;
}

function startSyncplane(dataDir: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "bin/syncplane.mjs"),
        "serve",
        "--data-dir",
        dataDir,
        "--listen",
        "127.0.0.1:0",
        "--tls-self-signed",
        "--service-poll-seconds",
        String(POLL_SECONDS),
        "--log-level",
        "warn",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /listening on (https:\/\/[^\s"]+)/.exec(buffer);
      if (match) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({
          url: match[1] as string,
          ca: readFileSync(join(dataDir, "tls/ca.pem")),
          process: child,
        });
      }
    };
    child.stdout?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`syncplane exited with ${code} before listening`)));
  });
}

function api(
  server: Server,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  form?: Record<string, string>,
): Promise<Json> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    let text: string | undefined;
    if (form) {
      text = new URLSearchParams(form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (body !== undefined) {
      text = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(server.url + path, { method, ca: server.ca, headers }, (res) => {
      let out = "";
      res.on("data", (chunk: Buffer) => (out += chunk.toString()));
      res.on("end", () =>
        (res.statusCode ?? 0) < 300
          ? resolve(out ? JSON.parse(out) : {})
          : reject(new Error(`${method} ${path}: ${res.statusCode} ${out}`)),
      );
    });
    req.on("error", reject);
    req.end(text);
  });
}

/**
 * One gRPC unary call on a new TLS connection, as baton's client makes every call (a new
 * connection per RPC); resolves with the response message bytes.
 */
function grpcCall(
  url: string,
  ca: Buffer,
  token: string,
  method: string,
  message: Uint8Array,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const session = connect(url, { ca });
    session.on("error", reject);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    Buffer.from(message).copy(frame, 5);
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: `${SERVICE}/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
      authorization: `Bearer ${token}`,
    });
    const chunks: Buffer[] = [];
    let status = "";
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("trailers", (trailers) => (status = String(trailers["grpc-status"] ?? "")));
    stream.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
    });
    stream.on("end", () => {
      session.close();
      if (status !== "0") return reject(new Error(`${method}: grpc-status ${status}`));
      const body = Buffer.concat(chunks);
      resolve(body.length >= 5 ? body.subarray(5, 5 + body.readUInt32BE(1)) : new Uint8Array());
    });
    stream.on("error", reject);
    stream.end(frame);
  });
}

/** A client stream (UploadAsset) on a new connection. */
function grpcUpload(url: string, ca: Buffer, token: string, messages: Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = connect(url, { ca });
    session.on("error", reject);
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: `${SERVICE}/UploadAsset`,
      "content-type": "application/grpc",
      te: "trailers",
      authorization: `Bearer ${token}`,
    });
    let status = "";
    stream.on("trailers", (trailers) => (status = String(trailers["grpc-status"] ?? "")));
    stream.on("data", () => undefined);
    stream.on("end", () => {
      session.close();
      return status === "0" ? resolve() : reject(new Error(`UploadAsset: grpc-status ${status}`));
    });
    stream.on("error", reject);
    for (const message of messages) {
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      Buffer.from(message).copy(frame, 5);
      stream.write(frame);
    }
    stream.end();
  });
}

/** The CPU time (user + system, seconds) a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

interface Poller {
  connectorId: string;
  token: string;
}

interface LoadResult {
  latencies: number[];
  rpcs: number;
  errors: number;
  seconds: number;
  cpu: number;
}

/**
 * Every poller calls GetTask every POLL_SECONDS (random phase) for `seconds` (default
 * BENCH_SECONDS), or until `done()` says so.
 */
async function pollLoad(
  url: string,
  ca: Buffer,
  pollers: Poller[],
  pid: number | null,
  onTask?: (p: Poller, task: Uint8Array) => Promise<void>,
  limitSeconds = SECONDS,
  done: () => boolean = () => false,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const request = toBinary(GetTaskRequestSchema, create(GetTaskRequestSchema, { hostId: "bench" }));
  const start = performance.now();
  const end = start + limitSeconds * 1000;
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  await Promise.all(
    pollers.map(async (poller) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * POLL_SECONDS * 1000));
      while (performance.now() < end && !done()) {
        const began = performance.now();
        try {
          const response = await grpcCall(url, ca, poller.token, "GetTask", request);
          latencies.push(performance.now() - began);
          if (onTask) await onTask(poller, response);
        } catch {
          errors++;
        }
        const next = began + POLL_SECONDS * 1000;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
      }
    }),
  );
  return {
    latencies: latencies.sort((a, b) => a - b),
    rpcs: latencies.length + errors,
    errors,
    seconds: (performance.now() - start) / 1000,
    cpu: pid ? cpuSeconds(pid) - cpuBefore : NaN,
  };
}

/** The floor: bare-server.mjs (its own process, like syncplane) on the same certificate. */
function startBare(
  certFile: string,
  keyFile: string,
): Promise<{ url: string; process: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, "bare-server.mjs"), certFile, keyFile],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    child.stdout?.once("data", (chunk: Buffer) => {
      const match = /listening on (https:\/\/\S+)/.exec(chunk.toString());
      if (match) resolve({ url: match[1] as string, process: child });
      else reject(new Error(`bare server: ${chunk.toString()}`));
    });
    child.on("exit", (code) => reject(new Error(`bare server exited with ${code}`)));
  });
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const fixtureDir = mkdtempSync(join(tmpdir(), "syncplane-bench-service-"));
  const c1zPath = join(fixtureDir, "sync.c1z");
  await writeC1z(c1zPath, {
    resourceTypes: [
      { id: "user", displayName: "User", traits: ["USER"] },
      { id: "group", displayName: "Group", traits: ["GROUP"] },
    ],
    resources: [
      { resourceTypeId: "user", resourceId: "u1", displayName: "U1" },
      { resourceTypeId: "group", resourceId: "g1", displayName: "G1" },
    ],
    entitlements: [{ resourceTypeId: "group", resourceId: "g1", slug: "member", displayName: "M" }],
    grants: [],
  });
  const c1z = readFileSync(c1zPath);
  const upload = (taskId: string) => [
    toBinary(
      UploadAssetRequestSchema,
      create(UploadAssetRequestSchema, {
        msg: { case: "metadata", value: { hostId: "bench", taskId } },
      }),
    ),
    toBinary(
      UploadAssetRequestSchema,
      create(UploadAssetRequestSchema, { msg: { case: "data", value: { data: c1z } } }),
    ),
    toBinary(
      UploadAssetRequestSchema,
      create(UploadAssetRequestSchema, {
        msg: { case: "eof", value: { sha256Checksum: createHash("sha256").update(c1z).digest() } },
      }),
    ),
  ];

  console.log(
    `bench/service-mode: GetTask polling every ${POLL_SECONDS} s for ${SECONDS} s, a new TLS connection per RPC (as baton)`,
  );
  for (const n of SIZES) {
    const dataDir = mkdtempSync(join(tmpdir(), "syncplane-bench-service-data-"));
    const server = await startSyncplane(dataDir);
    try {
      const admin = JSON.parse(
        readFileSync(join(dataDir, "admin-credential.json"), "utf8"),
      ) as Json;
      const adminToken = (
        await api(server, "", "POST", "/auth/v1/token", undefined, {
          grant_type: "client_credentials",
          client_id: admin.clientId,
          client_secret: admin.clientSecret,
        })
      ).access_token as string;
      const appId = (
        await api(server, adminToken, "POST", "/api/v1/apps", { displayName: "bench" })
      ).app.id as string;
      const pollers: (Poller & { base: string })[] = [];
      for (let i = 0; i < n; i++) {
        const connectorId = (
          await api(server, adminToken, "POST", `/api/v1/apps/${appId}/connectors/create`, {
            catalogId: "baton-service",
          })
        ).connectorView.connector.id as string;
        const credential = (
          await api(server, adminToken, "POST", "/api/v1/apps/connectors/credentials", {
            appId,
            connectorId,
          })
        ).credential as Json;
        const token = (
          await api(server, "", "POST", "/auth/v1/token", undefined, {
            grant_type: "client_credentials",
            client_id: credential.clientId,
            client_secret: credential.clientSecret,
          })
        ).access_token as string;
        pollers.push({
          connectorId,
          token,
          base: `/api/v1/apps/${appId}/connectors/${connectorId}`,
        });
      }
      // Warm-up: every connector takes its INITIAL sync, uploads a small c1z and finishes.
      const finish = (token: string, taskId: string, ok: boolean) =>
        grpcCall(
          server.url,
          server.ca,
          token,
          "FinishTask",
          toBinary(
            FinishTaskRequestSchema,
            create(FinishTaskRequestSchema, {
              taskId,
              ...(ok
                ? { finalState: { case: "success", value: {} } }
                : {
                    status: { code: 9, message: "bench" },
                    finalState: { case: "error", value: { nonRetryable: true } },
                  }),
            }),
          ),
        );
      const warm = performance.now();
      for (let i = 0; i < pollers.length; i += 50) {
        await Promise.all(
          pollers.slice(i, i + 50).map(async (p) => {
            const response = fromBinary(
              GetTaskResponseSchema,
              await grpcCall(
                server.url,
                server.ca,
                p.token,
                "GetTask",
                toBinary(GetTaskRequestSchema, create(GetTaskRequestSchema, {})),
              ),
            );
            const id = response.task?.id;
            if (!id) throw new Error("no INITIAL sync handed out");
            await grpcUpload(server.url, server.ca, p.token, upload(id));
            await finish(p.token, id, true);
          }),
        );
      }
      for (;;) {
        const pending = await Promise.all(
          pollers
            .slice(-5)
            .map(
              async (p) =>
                ((await api(server, adminToken, "GET", `${p.base}/syncs`)).list as Json[])[0]
                  ?.state,
            ),
        );
        if (pending.every((state) => state === "SUCCEEDED")) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      console.log(
        `\nN = ${n}: set up ${n} connectors, each synced once through the service (${((performance.now() - warm) / 1000).toFixed(1)} s)`,
      );

      // Idle polling: nothing to hand out, the steady state of most connectors.
      const load = await pollLoad(server.url, server.ca, pollers, server.process.pid ?? null);
      const cpuPct = (100 * load.cpu) / load.seconds;
      console.log(
        `  syncplane GetTask: ${load.rpcs} RPCs (${(load.rpcs / load.seconds).toFixed(1)}/s), errors ${load.errors}, p50 ${ms(percentile(load.latencies, 50))}, p99 ${ms(percentile(load.latencies, 99))}, server CPU ${cpuPct.toFixed(1)}% of one core (${((cpuPct * 1000) / n).toFixed(1)}% per 1,000 connectors)`,
      );
      const bare = await startBare(
        join(dataDir, "tls/server.pem"),
        join(dataDir, "tls/server.key"),
      );
      const floor = await pollLoad(bare.url, server.ca, pollers, bare.process.pid ?? null);
      bare.process.kill("SIGTERM");
      console.log(
        `  bare HTTP/2 TLS server (own process, same client, empty answer): ${floor.rpcs} RPCs (${(floor.rpcs / floor.seconds).toFixed(1)}/s), p50 ${ms(percentile(floor.latencies, 50))}, p99 ${ms(percentile(floor.latencies, 99))}, CPU ${((100 * floor.cpu) / floor.seconds).toFixed(1)}% of one core; syncplane/bare p50 ${(percentile(load.latencies, 50) / percentile(floor.latencies, 50)).toFixed(2)}×, p99 ${(percentile(load.latencies, 99) / percentile(floor.latencies, 99)).toFixed(2)}×`,
      );
      console.log(`  goal at N = 1,000: GetTask p99 ≤ 20 ms and ≤ 50% of one core`);

      // Held tasks released: pause all, one grant each (HELD), resume all, until the last is handed out.
      for (const p of pollers) await api(server, adminToken, "POST", `${p.base}/pause`, {});
      for (const p of pollers) {
        await api(server, adminToken, "POST", `${p.base}/provisioning/grant`, {
          entitlementId: "group:g1:member",
          principal: { resourceTypeId: "user", resourceId: "u1" },
        });
      }
      let handed = 0;
      let last = 0;
      const resumed = performance.now();
      const resumes = (async () => {
        for (const p of pollers) await api(server, adminToken, "POST", `${p.base}/resume`, {});
      })();
      const seen = new Set<string>();
      const handedOut = pollLoad(
        server.url,
        server.ca,
        pollers,
        null,
        async (p, bytes) => {
          const task = fromBinary(GetTaskResponseSchema, bytes).task;
          if (!task) return;
          if (task.taskType.case === "grant" && !seen.has(task.id)) {
            seen.add(task.id);
            handed++;
            last = performance.now();
            await finish(p.token, task.id, true);
          } else if (task.taskType.case === "syncFull") {
            await finish(p.token, task.id, false);
          }
        },
        RELEASE_LIMIT_SECONDS,
        () => handed === n,
      );
      await resumes;
      const resumeSeconds = (performance.now() - resumed) / 1000;
      await handedOut;
      console.log(
        `  ResumeSync on ${n} paused connectors with one held grant each: resumes took ${resumeSeconds.toFixed(1)} s; ${handed} of ${n} grants handed out, the last ${((last - resumed) / 1000).toFixed(1)} s after the first ResumeSync (poll interval ${POLL_SECONDS} s)`,
      );
    } finally {
      server.process.kill("SIGINT");
      await new Promise((resolve) => server.process.once("exit", resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  rmSync(fixtureDir, { recursive: true, force: true });
}

await main();
