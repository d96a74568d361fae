// How client commands reach the server: --server-url (SYNCPLANE_SERVER_URL) and credentials from
// SYNCPLANE_ACCESS_TOKEN, SYNCPLANE_CLIENT_ID + SYNCPLANE_CLIENT_SECRET, --credential-file, or —
// when none is set — the local admin credential ./.syncplane/admin-credential.json if it exists.

import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { Syncplane } from "../client/index.js";
import { DEFAULT_DATA_DIR, parseClientConfig } from "../config/config.js";

const LOCAL_ADMIN = `${DEFAULT_DATA_DIR}/admin-credential.json`;

export function clientFor(command: Command): Syncplane {
  const flags = command.optsWithGlobals() as Record<string, string | undefined>;
  const config = parseClientConfig(flags);
  if (config.accessToken)
    return new Syncplane({
      serverURL: config.serverUrl,
      timeoutMs: config.timeoutMs,
      security: { bearerAuth: config.accessToken },
    });
  if (config.clientId && config.clientSecret) {
    return new Syncplane({
      serverURL: config.serverUrl,
      timeoutMs: config.timeoutMs,
      security: { clientID: config.clientId, clientSecret: config.clientSecret },
    });
  }
  const file = config.credentialFile ?? (existsSync(LOCAL_ADMIN) ? LOCAL_ADMIN : null);
  if (!file) {
    throw new Error(
      "no credentials: set SYNCPLANE_CLIENT_ID and SYNCPLANE_CLIENT_SECRET, or SYNCPLANE_ACCESS_TOKEN, or pass --credential-file <file> (e.g. .syncplane/admin-credential.json)",
    );
  }
  let parsed: { clientId?: string; clientSecret?: string };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as typeof parsed;
  } catch (error) {
    throw new Error(`cannot read credential file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!parsed.clientId || !parsed.clientSecret) {
    throw new Error(`credential file ${file} must hold {"clientId","clientSecret"}`);
  }
  return new Syncplane({
    serverURL: config.serverUrl,
    timeoutMs: config.timeoutMs,
    security: { clientID: parsed.clientId, clientSecret: parsed.clientSecret },
  });
}

export const wantsJson = (command: Command): boolean => Boolean(command.optsWithGlobals().json);
