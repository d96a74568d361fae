// Starts a real syncplane server for a test: a fresh SQLite file in a temp dir, a real HTTP
// listener on a loopback port, real credentials and tokens.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { createCredential } from "../../src/auth/credentials.js";
import { parseServeConfig } from "../../src/config/config.js";
import { systemClock, type Clock } from "../../src/runtime.js";
import { startServer, type RunningServer } from "../../src/server.js";

export interface TestServer {
  readonly url: string;
  readonly dataDir: string;
  readonly server: RunningServer;
  readonly admin: { clientId: string; clientSecret: string };
  /** A token for a fresh credential of this role (cached per role). */
  token(role?: "admin" | "operator" | "viewer" | "connector"): Promise<string>;
  credential(
    role: string,
    connectorId?: string,
  ): Promise<{ clientId: string; clientSecret: string }>;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  /** The JSON body ({} when empty or not JSON). */
  body: Record<string, unknown>;
  /** The body as text. */
  text: string;
  headers: Headers;
}

export const tempDir = (prefix = "syncplane-test-") => mkdtempSync(join(tmpdir(), prefix));

export async function startTestServer(
  options: {
    dataDir?: string;
    flags?: Record<string, string>;
    clock?: Clock;
    /** Where the server logs (default: nowhere). */
    logger?: Logger;
  } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  // API-only unless a test asks for the engine: queue tests look at syncs nobody runs.
  const config = parseServeConfig(
    { dataDir, listen: "127.0.0.1:0", roles: "api", ...options.flags },
    {},
  );
  const server = await startServer(config, {
    logger: options.logger ?? pino({ level: "silent" }),
    clock: options.clock,
  });
  const admin = JSON.parse(readFileSync(join(dataDir, "admin-credential.json"), "utf8")) as {
    clientId: string;
    clientSecret: string;
  };
  const tokens = new Map<string, string>();
  /** A connector to bind connector-role credentials to (created on first need). */
  let boundConnector: string | null = null;
  const someConnectorId = async (): Promise<string> => {
    boundConnector ??= (await createAppAndConnector(testServer)).connectorId;
    return boundConnector;
  };

  const credential = async (role: string, connectorId?: string) => {
    const issued = await createCredential(server.store, systemClock, {
      role,
      connectorId: connectorId ?? null,
      publicHost: new URL(server.url).host,
      actor: "test",
    });
    return { clientId: issued.credential.clientId, clientSecret: issued.clientSecret };
  };

  const call = async (
    method: string,
    path: string,
    opts: CallOptions = {},
  ): Promise<CallResult> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== null)
      headers.authorization ??= `Bearer ${opts.token ?? (await token("admin"))}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(server.url + path, { method, headers, body });
    const text = await response.text();
    const json = /json/.test(response.headers.get("content-type") ?? "application/json");
    return {
      status: response.status,
      body: text && json ? (JSON.parse(text) as Record<string, unknown>) : {},
      text,
      headers: response.headers,
    };
  };

  const token = async (role: "admin" | "operator" | "viewer" | "connector" = "admin") => {
    const cached = tokens.get(role);
    if (cached) return cached;
    const creds =
      role === "admin"
        ? admin
        : await credential(role, role === "connector" ? await someConnectorId() : undefined);
    const response = await fetch(`${server.url}/auth/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: creds.clientId,
        client_secret: creds.clientSecret,
      }),
    });
    const json = (await response.json()) as { access_token: string };
    tokens.set(role, json.access_token);
    return json.access_token;
  };

  const testServer: TestServer = {
    url: server.url,
    dataDir,
    server,
    admin,
    token,
    credential,
    call,
    stop: async ({ keepData = false } = {}) => {
      await server.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return testServer;
}

/** Creates an app and a file connector; returns their ids. */
export async function createAppAndConnector(
  server: TestServer,
  config: Record<string, unknown> = { path: "/tmp/syncplane-test-inventory.json" },
): Promise<{ appId: string; connectorId: string; base: string }> {
  const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "Test app" } });
  const appId = (app.body.app as { id: string }).id;
  const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
    body: {
      catalogId: "file",
      displayName: "Test connector",
      config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", ...config },
    },
  });
  if (created.status !== 200)
    throw new Error(`connector create failed: ${JSON.stringify(created.body)}`);
  const connectorId = (created.body.connectorView as { connector: { id: string } }).connector.id;
  return { appId, connectorId, base: `/api/v1/apps/${appId}/connectors/${connectorId}` };
}
