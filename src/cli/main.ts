// The `syncplane` command line: `serve`, offline `credentials`, and client commands that talk to
// a server over HTTP. Returns the process exit code.

import { Command, CommanderError } from "commander";
import { SyncplaneError } from "../client/index.js";
import { ConfigError } from "../config/config.js";
import { appsCommand } from "./apps.js";
import { auditCommand } from "./audit.js";
import { connectorsCommand } from "./connectors.js";
import { credentialsCommand } from "./credentials.js";
import { inventoryCommand } from "./inventory.js";
import { createOutput } from "./output.js";
import { serveCommand } from "./serve.js";
import { syncsCommand } from "./syncs.js";

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
    .option("--json", "machine-readable output")
    .exitOverride()
    .showHelpAfterError();
  serveCommand(program);
  credentialsCommand(program, () => out);
  appsCommand(program, () => out);
  connectorsCommand(program, () => out);
  syncsCommand(program, () => out);
  inventoryCommand(program, () => out);
  auditCommand(program, () => out);

  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof SyncplaneError) {
      process.stderr.write(`error: ${error.codeName}: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === "ECONNREFUSED") {
      process.stderr.write(
        "error: cannot reach the server; is `syncplane serve` running? (--server-url)\n",
      );
      return 1;
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
