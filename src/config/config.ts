// Configuration, parsed once from flags and the environment into readonly objects. This is the
// only module that reads process.env. Every `syncplane serve` flag also reads SYNCPLANE_<FLAG>.

import { isAbsolute, resolve } from "node:path";

export type ServerRole = "api" | "scheduler" | "worker";
export const AVAILABLE_ROLES: readonly ServerRole[] = ["api", "scheduler", "worker"];

export interface StoreConfig {
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  /** With PostgreSQL: the most connections the store opens at once (default 10). */
  readonly databasePoolSize?: number;
}

export interface ServeConfig extends StoreConfig {
  readonly listenHost: string;
  readonly listenPort: number;
  /** Explicit --public-url; when absent it is derived from the bound address. */
  readonly publicUrl: string | null;
  readonly tlsCertFile: string | null;
  readonly tlsKeyFile: string | null;
  /** Make (once) and use a CA and server certificate in the data dir. */
  readonly tlsSelfSigned: boolean;
  /** GET /metrics without a token (default: a token of any reading role). */
  readonly metricsPublic: boolean;
  /**
   * A separate plain-HTTP listener that serves only GET /metrics, without a token — for nodes
   * without the api role, or to scrape on an internal address. Null: none.
   */
  readonly metricsListen: { readonly host: string; readonly port: number } | null;
  /** Web origins (scheme://host[:port]) whose pages may call the API from a browser (CORS). */
  readonly corsOrigins: readonly string[];
  readonly roles: readonly ServerRole[];
  readonly logLevel: string;
  /** Syncs one worker runs at once. */
  readonly workerConcurrency: number;
  /** How long a worker's claim on a running sync lasts without a heartbeat. */
  readonly workerLeaseMs: number;
  /** How many syncs' c1z files and logs are kept per connector (besides applied and held). */
  readonly artifactRetention: number;
  /** What connector subprocesses inherit from the server's environment. */
  readonly connectorEnv: Readonly<Record<string, string>>;
  /** How long a service-mode connector waits between polls (GetTask's next_poll). */
  readonly servicePollMs: number;
  /** How often a service-mode connector's running sync heartbeats; its lease is 3×. */
  readonly serviceHeartbeatMs: number;
}

export interface ClientConfig {
  readonly serverUrl: string;
  readonly clientId: string | null;
  readonly clientSecret: string | null;
  readonly accessToken: string | null;
  readonly credentialFile: string | null;
  /** Time limit of one request (--timeout / SYNCPLANE_TIMEOUT, seconds; default 60). */
  readonly timeoutMs: number;
}

export type Flags = Readonly<Record<string, string | undefined>>;

export const DEFAULT_LISTEN = "127.0.0.1:8080";
export const DEFAULT_DATA_DIR = "./.syncplane";

export class ConfigError extends Error {}

export const environment = (): Readonly<Record<string, string | undefined>> => process.env;

function pick(flags: Flags, env: Flags, name: string): string | undefined {
  const flag = flags[name];
  if (flag !== undefined && flag !== "") return flag;
  const fromEnv = env[`SYNCPLANE_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
}

export function parseStoreConfig(flags: Flags, env: Flags = environment()): StoreConfig {
  const dataDir = resolve(pick(flags, env, "dataDir") ?? DEFAULT_DATA_DIR);
  const databaseUrl = pick(flags, env, "databaseUrl") ?? null;
  if (
    databaseUrl !== null &&
    (!/^postgres(ql)?:\/\//.test(databaseUrl) || !URL.canParse(databaseUrl))
  ) {
    throw new ConfigError(
      `--database-url must be a postgres:// URL, got "${redactUrl(databaseUrl)}"`,
    );
  }
  const poolSize = Number(pick(flags, env, "databasePoolSize") ?? 10);
  if (!Number.isInteger(poolSize) || poolSize < 2 || poolSize > 200) {
    throw new ConfigError("--database-pool-size must be a whole number from 2 to 200");
  }
  return { dataDir, databaseUrl, databasePoolSize: poolSize };
}

export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(
      `--listen must be host:port (for example 127.0.0.1:8080), got "${value}"`,
    );
  }
  return { host: match[1] ?? (match[2] || "127.0.0.1"), port };
}

/**
 * --cors-origins: a comma-separated list of exact web origins ("https://admin.example.com").
 * No wildcard: a page of any origin holding a user's token could then act as that user.
 */
export function parseCorsOrigins(value: string | undefined): string[] {
  const origins = (value ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = null;
    }
    if (
      !parsed ||
      (parsed.protocol !== "https:" && parsed.protocol !== "http:") ||
      parsed.origin !== origin
    ) {
      throw new ConfigError(
        `--cors-origins: "${origin}" is not a web origin; give scheme://host[:port] with no path or trailing slash, e.g. https://admin.example.com (no wildcard)`,
      );
    }
  }
  return [...new Set(origins)];
}

export function parseServeConfig(flags: Flags, env: Flags = environment()): ServeConfig {
  const store = parseStoreConfig(flags, env);
  const listen = parseListen(pick(flags, env, "listen") ?? DEFAULT_LISTEN);
  const metricsListen = pick(flags, env, "metricsListen");
  const publicUrl = pick(flags, env, "publicUrl") ?? null;
  if (publicUrl !== null) checkUrl(publicUrl, "--public-url");
  const tlsCertFile = pick(flags, env, "tlsCert") ?? null;
  const tlsKeyFile = pick(flags, env, "tlsKey") ?? null;
  if ((tlsCertFile === null) !== (tlsKeyFile === null)) {
    throw new ConfigError("--tls-cert and --tls-key go together: give both or neither");
  }
  const selfSigned = pick(flags, env, "tlsSelfSigned");
  if (selfSigned !== undefined && !["true", "false", "1", "0"].includes(selfSigned)) {
    throw new ConfigError(`--tls-self-signed takes no value (or true/false), got "${selfSigned}"`);
  }
  const tlsSelfSigned = selfSigned === "true" || selfSigned === "1";
  if (tlsSelfSigned && tlsCertFile !== null) {
    throw new ConfigError(
      "--tls-self-signed and --tls-cert/--tls-key exclude each other: choose one",
    );
  }
  const roles = (pick(flags, env, "roles") ?? AVAILABLE_ROLES.join(","))
    .split(",")
    .map((role) => role.trim())
    .filter(Boolean);
  for (const role of roles) {
    if (!(AVAILABLE_ROLES as readonly string[]).includes(role)) {
      throw new ConfigError(`--roles: "${role}" is not a role; use api, scheduler, worker`);
    }
  }
  if (roles.length === 0)
    throw new ConfigError("--roles needs at least one of api, scheduler, worker");
  const concurrency = Number(pick(flags, env, "workerConcurrency") ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new ConfigError("--worker-concurrency must be a whole number from 1 to 64");
  }
  const leaseSeconds = Number(pick(flags, env, "workerLeaseSeconds") ?? 60);
  if (!Number.isFinite(leaseSeconds) || leaseSeconds < 1 || leaseSeconds > 3600) {
    throw new ConfigError("--worker-lease-seconds must be from 1 to 3600");
  }
  const retention = Number(pick(flags, env, "artifactRetention") ?? 10);
  if (!Number.isInteger(retention) || retention < 1 || retention > 10_000) {
    throw new ConfigError("--artifact-retention must be a whole number from 1 to 10000");
  }
  const seconds = (name: string, fallback: number, min: number, max: number, flag: string) => {
    const value = Number(pick(flags, env, name) ?? fallback);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new ConfigError(`${flag} must be from ${min} to ${max} seconds`);
    }
    return Math.round(value * 1000);
  };
  return {
    ...store,
    servicePollMs: seconds("servicePollSeconds", 5, 0.1, 300, "--service-poll-seconds"),
    serviceHeartbeatMs: seconds(
      "serviceHeartbeatSeconds",
      10,
      1,
      300,
      "--service-heartbeat-seconds",
    ),
    artifactRetention: retention,
    connectorEnv: inheritedConnectorEnv(env),
    listenHost: listen.host,
    listenPort: listen.port,
    publicUrl: publicUrl?.replace(/\/+$/, "") ?? null,
    tlsCertFile: tlsCertFile && absolute(tlsCertFile),
    tlsKeyFile: tlsKeyFile && absolute(tlsKeyFile),
    tlsSelfSigned,
    metricsPublic: ["true", "1"].includes(pick(flags, env, "metricsPublic") ?? ""),
    metricsListen: metricsListen === undefined ? null : parseListen(metricsListen),
    corsOrigins: parseCorsOrigins(pick(flags, env, "corsOrigins")),
    roles: roles as ServerRole[],
    logLevel: pick(flags, env, "logLevel") ?? "info",
    workerConcurrency: concurrency,
    workerLeaseMs: Math.round(leaseSeconds * 1000),
  };
}

/**
 * Connectors get PATH and HOME from the server and nothing else of its environment (no
 * credentials of syncplane's or of other connectors); their config adds what they need.
 */
export function inheritedConnectorEnv(env: Flags = environment()): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const key of ["PATH", "HOME"]) {
    const value = env[key];
    if (value) inherited[key] = value;
  }
  return inherited;
}

export function parseClientConfig(flags: Flags, env: Flags = environment()): ClientConfig {
  const serverUrl = (pick(flags, env, "serverUrl") ?? `http://${DEFAULT_LISTEN}`).replace(
    /\/+$/,
    "",
  );
  checkUrl(serverUrl, "--server-url");
  const timeout = Number(pick(flags, env, "timeout") ?? 60);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) {
    throw new ConfigError(
      `--timeout must be a number of seconds between 0 and 3600, got "${pick(flags, env, "timeout")}"`,
    );
  }
  return {
    timeoutMs: Math.round(timeout * 1000),
    serverUrl,
    clientId: env.SYNCPLANE_CLIENT_ID || null,
    clientSecret: env.SYNCPLANE_CLIENT_SECRET || null,
    accessToken: env.SYNCPLANE_ACCESS_TOKEN || null,
    credentialFile: pick(flags, env, "credentialFile") ?? null,
  };
}

/** The public URL a server listening on host:port is reached at, when none is configured. */
export function derivePublicUrl(host: string, port: number, tls: boolean): string {
  const reachable = host === "0.0.0.0" || host === "::" || host === "" ? "localhost" : host;
  const shown = reachable.includes(":") ? `[${reachable}]` : reachable;
  return `${tls ? "https" : "http"}://${shown}:${port}`;
}

function checkUrl(value: string, flag: string): void {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError(`${flag} must be an http:// or https:// URL, got "${value}"`);
  }
}

const absolute = (path: string) => (isAbsolute(path) ? path : resolve(path));

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
