// The `syncplane` command line: `serve`, offline `credentials`, and client commands that talk to
// a server over HTTP. Returns the process exit code.

import { Command, CommanderError } from "commander";
import { ConnectionError, SyncplaneError } from "../client/index.js";
import { ConfigError } from "../config/config.js";
import { appsCommand } from "./apps.js";
import { auditCommand } from "./audit.js";
import { connectorsCommand } from "./connectors.js";
import { credentialsCommand } from "./credentials.js";
import { inventoryCommand } from "./inventory.js";
import { createOutput } from "./output.js";
import { serveCommand } from "./serve.js";
import { syncsCommand } from "./syncs.js";
import { provisioningCommand } from "./provisioning.js";
import { bulkCommand } from "./bulk.js";
import { webhooksCommand } from "./webhooks.js";

export async function main(argv: readonly string[]): Promise<number> {
  const out = createOutput((text) => process.stdout.write(text));
  const program = new Command()
    .name("syncplane")
    .description("self-hosted connector sync control plane")
    .option(
      "--server-url <url>",
      "server to talk to (SYNCPLANE_SERVER_URL, default http://127.0.0.1:8080)",
    )
    .option("--credential-file <file>", "JSON file with clientId and clientSecret")
    .option("--timeout <seconds>", "time limit of each request (SYNCPLANE_TIMEOUT, default 60)")
    .option("--json", "machine-readable output")
    .exitOverride()
    .showHelpAfterError();
  serveCommand(program);
  credentialsCommand(program, () => out);
  appsCommand(program, () => out);
  connectorsCommand(program, () => out);
  syncsCommand(program, () => out);
  inventoryCommand(program, () => out);
  provisioningCommand(program, () => out);
  bulkCommand(program, () => out);
  webhooksCommand(program, () => out);
  auditCommand(program, () => out);

  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConnectionError) {
      // No answer from the server: which server, why, and where its address comes from.
      process.stderr.write(
        `error: ${error.message}\n(the server address comes from --server-url or SYNCPLANE_SERVER_URL)\n`,
      );
      return 1;
    }
    if (error instanceof SyncplaneError) {
      process.stderr.write(`error: ${error.codeName}: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
