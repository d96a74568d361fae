import type { Command } from "commander";
import { parseServeConfig } from "../config/config.js";
import { startServer } from "../server.js";

export function serveCommand(program: Command): void {
  program
    .command("serve")
    .description("run the syncplane server (API) on the embedded store")
    .option(
      "--data-dir <dir>",
      "where the embedded store and the admin credential live (default ./.syncplane)",
    )
    .option("--listen <host:port>", "address to listen on (default 127.0.0.1:8080)")
    .option("--public-url <url>", "URL clients reach this server at; its host goes into client ids")
    .option("--database-url <url>", "postgres://… to use PostgreSQL instead of the embedded store")
    .option(
      "--database-pool-size <n>",
      "with --database-url: connections the store keeps open at most (default 10)",
    )
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS (with HTTP/2)")
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option(
      "--tls-self-signed",
      "serve HTTPS with a CA and certificate made on first start in <data-dir>/tls (for trying service mode; connectors trust <data-dir>/tls/ca.pem through SSL_CERT_FILE)",
    )
    .option(
      "--metrics-public",
      "serve GET /metrics without a token (default: a token of a viewer, operator or admin)",
    )
    .option(
      "--metrics-listen <host:port>",
      "also serve GET /metrics, without a token, on this plain-HTTP address (nodes without the api role; an internal address)",
    )
    .option(
      "--cors-origins <list>",
      "comma-separated web origins whose pages may call the API from a browser, e.g. https://admin.example.com (default: none; the console is same-origin)",
    )
    .option("--roles <list>", "comma-separated roles to run: api, scheduler, worker (default all)")
    .option("--worker-concurrency <n>", "syncs one worker runs at once (default 2)")
    .option(
      "--worker-lease-seconds <n>",
      "how long a running sync stays claimed without a heartbeat; a dead worker's sync is retried after it (default 60)",
    )
    .option(
      "--artifact-retention <n>",
      "c1z files and logs kept per connector, newest first; the applied and held syncs' are always kept (default 10)",
    )
    .option(
      "--service-poll-seconds <n>",
      "how long a baton connector in service mode waits between polls for work (default 5)",
    )
    .option(
      "--service-heartbeat-seconds <n>",
      "how often a service-mode connector's running sync heartbeats; 3 missed and it is retried (default 10)",
    )
    .option("--log-level <level>", "trace, debug, info, warn, error (default info)")
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      const strings = Object.fromEntries(
        Object.entries(flags).map(([key, value]) => [
          key,
          typeof value === "boolean" ? String(value) : value,
        ]),
      );
      const server = await startServer(parseServeConfig(strings));
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          server.close().then(resolve, resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
