// The connector kinds syncplane can run, chosen by `catalogId`, and the validation of their
// `config` (a protobuf Any in C1's JSON form: an "@type" plus the message's fields).

import { FORCED_BATON_ENV, REFUSED_BATON_ENV } from "./baton.js";
import { invalidArgument } from "./errors.js";
import { LIMITS, checkLength, checkList, quote } from "./limits.js";
import type { ConnectorConfig } from "./model.js";

export const CONFIG_TYPES = {
  file: "type.googleapis.com/syncplane.v1.FileConnectorConfig",
  baton: "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
  "baton-service": "type.googleapis.com/syncplane.v1.BatonServiceConnectorConfig",
} as const;

export type CatalogId = keyof typeof CONFIG_TYPES;
export const CATALOG_IDS = Object.keys(CONFIG_TYPES) as CatalogId[];

/**
 * Catalogs whose connectors dial in (baton service mode): their syncs and provisioning tasks are
 * handed out by the connector's own GetTask, never run by a local worker.
 */
export const SERVICE_CATALOGS: readonly string[] = ["baton-service"];

export const isServiceCatalog = (catalogId: string): boolean =>
  SERVICE_CATALOGS.includes(catalogId);

export const isCatalogId = (value: string): value is CatalogId =>
  (CATALOG_IDS as string[]).includes(value);

export const DEFAULT_BATON_TIMEOUT_SECONDS = 3600;
export const MAX_BATON_TIMEOUT_SECONDS = 7 * 24 * 3600;
/** Names an env variable may have (a POSIX shell name). */
export const ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
/** An argument that would switch a baton connector to service mode. */
export const SERVICE_MODE_ARG_PATTERN = "^--client-(id|secret)(=|$)";

export function parseCatalogId(value: unknown): CatalogId {
  if (typeof value !== "string" || value === "") {
    throw invalidArgument(`catalogId is required: one of ${CATALOG_IDS.join(", ")}`);
  }
  if (!isCatalogId(value)) {
    throw invalidArgument(
      `catalogId ${quote(value)} is not known; use one of ${CATALOG_IDS.join(", ")}`,
    );
  }
  return value;
}

/** Whether a connector of this kind can sync without a config (service-mode connectors dial in). */
export const configRequired = (catalogId: CatalogId): boolean => catalogId !== "baton-service";

/**
 * Validates a config for a catalog id and returns it normalised (defaults filled in).
 * Unknown fields are refused so that a typo does not silently do nothing.
 */
export function parseConnectorConfig(catalogId: CatalogId, raw: unknown): ConnectorConfig | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw invalidArgument('config must be an object with an "@type" field');
  }
  const config = raw as Record<string, unknown>;
  const expected = CONFIG_TYPES[catalogId];
  if (config["@type"] !== expected) {
    throw invalidArgument(
      `config["@type"] must be "${expected}" for catalogId "${catalogId}", got ${quote(config["@type"] ?? null)}`,
    );
  }
  switch (catalogId) {
    case "file":
      return fileConfig(config);
    case "baton":
      return batonConfig(config);
    case "baton-service":
      onlyFields(config, []);
      return { "@type": expected };
  }
}

function onlyFields(config: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(config)) {
    if (key !== "@type" && !allowed.includes(key)) {
      const list = allowed.length > 0 ? `; allowed: ${allowed.join(", ")}` : "";
      throw invalidArgument(
        `config has an unknown field ${quote(key)} for ${String(config["@type"])}${list}`,
      );
    }
  }
}

function fileConfig(config: Record<string, unknown>): ConnectorConfig {
  onlyFields(config, ["path"]);
  const path = config.path;
  if (typeof path !== "string" || path === "") {
    throw invalidArgument("config.path is required: the absolute path of the inventory file");
  }
  checkLength("config.path", path, "path");
  if (!path.startsWith("/")) {
    throw invalidArgument(`config.path must be an absolute path, got ${quote(path)}`);
  }
  return { "@type": CONFIG_TYPES.file, path };
}

function batonConfig(config: Record<string, unknown>): ConnectorConfig {
  onlyFields(config, ["command", "args", "env", "timeoutSeconds"]);
  const { command, args = [], env = {}, timeoutSeconds = DEFAULT_BATON_TIMEOUT_SECONDS } = config;
  if (typeof command !== "string" || command.trim() === "") {
    throw invalidArgument("config.command is required: the baton connector binary to run");
  }
  checkLength("config.command", command, "path");
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw invalidArgument("config.args must be a list of strings");
  }
  checkList("config.args", args as string[], "path", "args");
  const serviceMode = new RegExp(SERVICE_MODE_ARG_PATTERN);
  const serviceFlag = (args as string[]).find((arg) => serviceMode.test(arg));
  if (serviceFlag !== undefined) {
    throw invalidArgument(
      `config.args cannot contain ${serviceFlag.split("=")[0]}: it switches a baton connector to service mode (use catalogId "baton-service")`,
    );
  }
  if (typeof env !== "object" || env === null || Array.isArray(env)) {
    throw invalidArgument("config.env must be an object of string values");
  }
  const entries = Object.entries(env);
  if (entries.length > LIMITS.envEntries) {
    throw invalidArgument(
      `config.env has ${entries.length} variables, at most ${LIMITS.envEntries}`,
    );
  }
  const envName = new RegExp(ENV_NAME_PATTERN);
  for (const [key, value] of entries) {
    checkLength("a config.env variable name", key, "envName");
    if (!envName.test(key)) {
      throw invalidArgument(
        `config.env has a bad variable name ${quote(key)} (letters, digits and _, not starting with a digit)`,
      );
    }
    if (typeof value !== "string") throw invalidArgument(`config.env.${key} must be a string`);
    checkLength(`config.env.${key}`, value, "envValue");
    if ((REFUSED_BATON_ENV as readonly string[]).includes(key)) {
      throw invalidArgument(
        `config.env.${key} cannot be set: syncplane runs baton connectors one-shot with a file of its own (use catalogId "baton-service" for service mode)`,
      );
    }
    if (Object.hasOwn(FORCED_BATON_ENV, key)) {
      throw invalidArgument(
        `config.env.${key} cannot be set: syncplane sets it to "${FORCED_BATON_ENV[key]}" for every run`,
      );
    }
  }
  const timeout = Number(timeoutSeconds);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_BATON_TIMEOUT_SECONDS) {
    throw invalidArgument(
      `config.timeoutSeconds must be a whole number of seconds from 1 to ${MAX_BATON_TIMEOUT_SECONDS}`,
    );
  }
  return { "@type": CONFIG_TYPES.baton, command, args, env, timeoutSeconds: timeout };
}

// The values of a baton connector's `env` usually are credentials for the system it syncs
// (API keys, passwords). They are write-only: reads show this placeholder instead, and an update
// that sends the placeholder back keeps the stored value.
export const REDACTED = "********";

/** The config as it is shown to clients: env values replaced by the placeholder. */
export function redactConfig(config: ConnectorConfig): ConnectorConfig {
  const env = config.env;
  if (typeof env !== "object" || env === null) return config;
  return { ...config, env: Object.fromEntries(Object.keys(env).map((key) => [key, REDACTED])) };
}

/**
 * Puts stored secrets back where an incoming config carries the placeholder (a client that read
 * the config and sends it back unchanged). A placeholder with nothing stored behind it is refused.
 */
export function restoreRedacted(
  incoming: ConnectorConfig,
  stored: ConnectorConfig | null,
): ConnectorConfig {
  const env = incoming.env as Record<string, string> | undefined;
  if (!env) return incoming;
  const storedEnv = (stored?.env ?? {}) as Record<string, string>;
  const restored: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== REDACTED) restored[key] = value;
    else if (typeof storedEnv[key] === "string") restored[key] = storedEnv[key];
    else
      throw invalidArgument(
        `config.env.${key} is the redaction placeholder "${REDACTED}"; send the real value`,
      );
  }
  return { ...incoming, env: restored };
}
