// Several real syncplane processes (`serve --database-url`, started from the sources) on one
// PostgreSQL database, for the multi-node tests: each node has its own data dir, a fixed port
// (so that a node killed and started again answers at the same address) and a log file that
// collects every run of it.

import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createCredential } from "../../src/auth/credentials.js";
import { systemClock } from "../../src/runtime.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "./server.js";
import { until } from "./wait.js";

const ROOT = join(import.meta.dirname, "../..");

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CallResult {
  readonly status: number;
  readonly body: Json;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export class ClusterNode {
  child: ChildProcess | null = null;
  /** How many times this node was started. */
  starts = 0;

  constructor(
    readonly index: number,
    readonly port: number,
    readonly dataDir: string,
    readonly logPath: string,
    private readonly args: readonly string[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it answers /readyz. */
  async start(): Promise<void> {
    const log = openSync(this.logPath, "a");
    this.child = spawn(
      process.execPath,
      [
        "--import",
        import.meta.resolve("tsx"),
        join(ROOT, "src/cli/main.ts"),
        "serve",
        "--data-dir",
        this.dataDir,
        "--listen",
        `127.0.0.1:${this.port}`,
        ...this.args,
      ],
      { stdio: ["ignore", log, log] },
    );
    closeSync(log);
    this.starts++;
    const child = this.child;
    child.once("exit", (code, signal) => {
      appendFileSync(
        this.logPath,
        `[test] node ${this.index} exited: code ${code}, signal ${signal}\n`,
      );
    });
    await until(
      `node ${this.index} to be ready`,
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`node ${this.index} exited with ${child.exitCode}: ${this.tail()}`);
        }
        try {
          return (await fetch(`${this.url}/readyz`)).status === 200;
        } catch {
          return false;
        }
      },
      60_000,
      50,
    );
  }

  /** SIGKILL: no shutdown, no lease given back. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** SIGTERM and wait (a clean stop). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), 40_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }

  /** The end of the node's log, for failure messages. */
  tail(chars = 3000): string {
    try {
      return readFileSync(this.logPath, "utf8").slice(-chars);
    } catch {
      return "";
    }
  }
}

export class Cluster {
  private token: string | null = null;

  private constructor(
    readonly nodes: readonly ClusterNode[],
    private readonly admin: { clientId: string; clientSecret: string },
  ) {}

  /**
   * Starts `count` nodes on the database at `url`, one after the other (the first migrates).
   * `store` is the test's own connection to that database: the admin credential the test uses
   * is created through it, as `credentials create --database-url` would.
   */
  static async start(
    url: string,
    store: Store,
    count: number,
    args: readonly string[] = [],
  ): Promise<Cluster> {
    const nodes: ClusterNode[] = [];
    const dir = tempDir("syncplane-cluster-");
    for (let i = 0; i < count; i++) {
      nodes.push(
        new ClusterNode(i, await freePort(), join(dir, `node${i}`), join(dir, `node${i}.log`), [
          "--database-url",
          url,
          ...args,
        ]),
      );
    }
    await Promise.all(nodes.map((node) => node.start()));
    const issued = await createCredential(store, systemClock, {
      role: "admin",
      name: "multinode-test",
      publicHost: `127.0.0.1:${nodes[0]?.port ?? 0}`,
      actor: "test",
    });
    return new Cluster(nodes, {
      clientId: issued.credential.clientId,
      clientSecret: issued.clientSecret,
    });
  }

  node(index: number): ClusterNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    return node;
  }

  /** A live node, picked at random. */
  anyLive(): ClusterNode {
    const live = this.nodes.filter((node) => node.alive);
    const node = live[Math.floor(Math.random() * live.length)];
    if (!node) throw new Error("no node is running");
    return node;
  }

  private async accessToken(): Promise<string> {
    if (this.token) return this.token;
    const response = await fetch(`${this.anyLive().url}/auth/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: this.admin.clientId,
        client_secret: this.admin.clientSecret,
      }),
    });
    const json = (await response.json()) as { access_token?: string };
    if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
    this.token = json.access_token;
    return this.token;
  }

  /** One API call to `node`; a connection failure rejects (the node is down). */
  async call(node: ClusterNode, method: string, path: string, body?: unknown): Promise<CallResult> {
    const response = await fetch(node.url + path, {
      method,
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
  }

  /** A call that must succeed, to any live node. */
  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const node = this.anyLive();
    const result = await this.call(node, method, path, body);
    if (result.status !== 200) {
      throw new Error(`${method} ${path} on node ${node.index}: ${JSON.stringify(result)}`);
    }
    return result.body;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  /** Kills every node that still runs (for `after` hooks after a failure). */
  killAll(): void {
    for (const node of this.nodes) if (node.alive) node.child?.kill("SIGKILL");
  }
}
