// Offline credential administration: works directly on the store named by --data-dir /
// --database-url, with or without a running server (SQLite allows both at once).

import type { Command } from "commander";
import { createCredential, revokeCredential } from "../auth/credentials.js";
import {
  DEFAULT_LISTEN,
  derivePublicUrl,
  parseListen,
  parseServeConfig,
} from "../config/config.js";
import { systemClock } from "../runtime.js";
import { openStore } from "../store/open.js";
import { PUBLIC_URL_SETTING } from "../store/settings.js";
import type { Output } from "./output.js";
import { wantsJson } from "./remote.js";

const OFFLINE_ACTOR = "cli:offline";

export function credentialsCommand(program: Command, out: () => Output): void {
  const credentials = program
    .command("credentials")
    .description("issue, list and revoke client credentials (offline, against the data dir)");

  const storeOptions = (command: Command) =>
    command
      .option("--data-dir <dir>", "data dir of the store (default ./.syncplane)")
      .option("--database-url <url>", "postgres://… store instead of the data dir");

  storeOptions(
    credentials
      .command("create")
      .description(
        "issue a credential and print its client id and secret (the secret is shown once)",
      )
      .requiredOption("--role <role>", "admin, operator, viewer or connector")
      .option("--name <name>", "a name, used in the client id")
      .option("--connector <id>", "the connector a connector-role credential is bound to")
      .option(
        "--public-url <url>",
        "the server's public URL (default: the one it last started with)",
      )
      .option(
        "--listen <host:port>",
        "derive the public URL from this, if no server has started yet",
      ),
  ).action(async (flags: Record<string, string | boolean | undefined>, command: Command) => {
    const config = parseServeConfig(stringFlags(flags));
    const store = await openStore(config);
    try {
      // The address client ids name: --public-url, else the one the server last started with
      // on this store, else what --listen implies.
      const publicUrl =
        config.publicUrl ??
        (await store.getSetting(PUBLIC_URL_SETTING)) ??
        derivePublicUrl(
          config.listenHost,
          config.listenPort || parseListen(DEFAULT_LISTEN).port,
          false,
        );
      const issued = await createCredential(store, systemClock, {
        role: String(flags.role),
        name: flags.name as string | undefined,
        connectorId: (flags.connector as string | undefined) ?? null,
        publicHost: new URL(publicUrl).host,
        actor: OFFLINE_ACTOR,
      });
      const result = { clientId: issued.credential.clientId, clientSecret: issued.clientSecret };
      if (wantsJson(command)) out().json(result);
      else {
        out().fields({ ...result, role: issued.credential.role, id: issued.credential.id });
        out().line("Store the secret now: it is not shown again.");
      }
    } finally {
      await store.close();
    }
  });

  storeOptions(
    credentials.command("list").description("list credentials (never their secrets)"),
  ).action(async (flags: Record<string, string | boolean | undefined>, command: Command) => {
    const store = await openStore(parseServeConfig(stringFlags(flags)));
    try {
      const rows = (await store.listCredentials()).map((c) => ({
        id: c.id,
        clientId: c.clientId,
        role: c.role,
        connectorId: c.connectorId ?? undefined,
        createdAt: new Date(c.createdAt).toISOString(),
        lastUsedAt: c.lastUsedAt ? new Date(c.lastUsedAt).toISOString() : undefined,
        revokedAt: c.revokedAt ? new Date(c.revokedAt).toISOString() : undefined,
      }));
      if (wantsJson(command)) out().json({ list: rows });
      else
        out().table(rows, [
          "clientId",
          "role",
          "connectorId",
          "createdAt",
          "lastUsedAt",
          "revokedAt",
        ]);
    } finally {
      await store.close();
    }
  });

  storeOptions(
    credentials
      .command("revoke <idOrClientId>")
      .description("revoke a credential; its access tokens stop working at once"),
  ).action(
    async (
      idOrClientId: string,
      flags: Record<string, string | boolean | undefined>,
      command: Command,
    ) => {
      const store = await openStore(parseServeConfig(stringFlags(flags)));
      try {
        const revoked = await revokeCredential(store, systemClock, idOrClientId, OFFLINE_ACTOR);
        if (wantsJson(command))
          out().json({
            id: revoked.id,
            clientId: revoked.clientId,
            revokedAt: new Date(revoked.revokedAt ?? 0).toISOString(),
          });
        else out().line(`revoked ${revoked.clientId}`);
      } finally {
        await store.close();
      }
    },
  );
}

function stringFlags(
  flags: Record<string, string | boolean | undefined>,
): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (typeof value === "string") result[key] = value;
  }
  return result;
}
