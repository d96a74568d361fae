// Composition root: configuration → store → the roles this process runs (HTTP API, scheduler,
// workers), plus first-start set-up.

import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { buildApi } from "./api/app.js";
import { BatonServiceHandlers, grpcErrors, SERVICE_PATH_PREFIX } from "./service/baton-service.js";
import { createCredentialInTx } from "./auth/credentials.js";
import { ensureSelfSignedTls } from "./auth/self-signed.js";
import { TokenService } from "./auth/tokens.js";
import { derivePublicUrl, type ServeConfig } from "./config/config.js";
import { Scheduler } from "./engine/scheduler.js";
import { WebhookDispatcher } from "./engine/webhooks.js";
import { Metrics, serveMetrics } from "./metrics/metrics.js";
import { Worker } from "./engine/worker.js";
import { openArtifacts } from "./artifacts/open.js";
import { systemClock, type Clock } from "./runtime.js";
import { openStore } from "./store/open.js";
import { FIRST_ADMIN_SETTING, PUBLIC_URL_SETTING } from "./store/settings.js";
import type { Store } from "./store/store.js";

export const ADMIN_CREDENTIAL_FILE = "admin-credential.json";

export interface RunningServer {
  readonly url: string;
  /** The --metrics-listen address's URL (null without it). */
  readonly metricsUrl: string | null;
  readonly store: Store;
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: "syncplane" },
      redact: {
        paths: ["req.headers.authorization", "*.client_secret", "*.clientSecret", "*.access_token"],
        censor: "[redacted]",
      },
    },
    // Asynchronous writes: lines logged while a write is in flight go out together, instead of
    // one blocking write(2) per line. close() flushes what is left.
    pino.destination({ dest: 1, sync: false }),
  );
}

export async function startServer(
  config: ServeConfig,
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  // Start-up and shutdown lines are written whatever --log-level says: scripts wait for
  // "listening on", and an operator stopping a node needs to see what it waits for.
  const lifecycle = logger.level === "silent" ? logger : logger.child({}, { level: "info" });
  const store = await openStore(config);
  // Sync files: on local disk with SQLite; shared through the database with PostgreSQL (its
  // tables come with the store's migrations, applied above).
  const artifacts = await openArtifacts(config).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const selfSigned = config.tlsSelfSigned
    ? ensureSelfSignedTls(
        config.dataDir,
        [
          config.listenHost,
          hostname(),
          ...(config.publicUrl ? [new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, "")] : []),
        ].filter((host) => host !== "0.0.0.0" && host !== "::"),
      )
    : null;
  const certFile = selfSigned?.certFile ?? config.tlsCertFile;
  const keyFile = selfSigned?.keyFile ?? config.tlsKeyFile;
  const tls =
    certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : undefined;
  if (selfSigned) {
    lifecycle.info(
      { caFile: selfSigned.caFile, created: selfSigned.created },
      `TLS with a self-signed certificate: connectors trust it with SSL_CERT_FILE=${selfSigned.caFile}`,
    );
  }

  // The public URL (and so the host in client ids) may depend on the port actually bound.
  let publicUrl = config.publicUrl ?? derivePublicUrl(config.listenHost, config.listenPort, !!tls);
  const publicHost = () => new URL(publicUrl).host;
  const runtime = { store, clock };
  const roles = new Set(config.roles);

  const metrics = new Metrics(runtime);
  let api: FastifyInstance | null = null;
  let batonService: BatonServiceHandlers | null = null;
  if (roles.has("api")) {
    const tokens = new TokenService(store, clock, publicHost);
    // Baton connectors in service mode dial the same TLS port as /auth/v1/token (gRPC needs
    // HTTP/2, so only with TLS).
    batonService = tls
      ? new BatonServiceHandlers({
          runtime,
          tokens,
          artifacts,
          uploadDir: join(config.dataDir, "uploads"),
          logger,
          pollMs: config.servicePollMs,
          heartbeatMs: config.serviceHeartbeatMs,
        })
      : null;
    api = await buildApi({
      runtime,
      tokens,
      logger,
      tls,
      metrics: { registry: metrics, public: config.metricsPublic },
      corsOrigins: config.corsOrigins,
      ...(batonService
        ? {
            grpc: {
              prefix: SERVICE_PATH_PREFIX,
              handler: connectNodeAdapter({
                routes: batonService.routes,
                interceptors: [grpcErrors(logger)],
                grpc: true,
                grpcWeb: false,
                connect: false,
                // UploadAsset chunks are 512 KiB; other messages are small.
                readMaxBytes: 4 * 1024 * 1024,
              }),
            },
          }
        : {}),
      get publicHost() {
        return publicHost();
      },
      files: {
        artifacts,
        get publicUrl() {
          return publicUrl;
        },
      },
    });
    try {
      await api.listen({ host: config.listenHost, port: config.listenPort });
    } catch (error) {
      await artifacts.close();
      await store.close();
      throw error;
    }
    const bound = api.server.address();
    if (config.publicUrl === null && bound && typeof bound === "object") {
      publicUrl = derivePublicUrl(config.listenHost, bound.port, !!tls);
    }
  }

  const scheduler = roles.has("scheduler")
    ? new Scheduler(runtime, {
        onError: (error) => logger.error({ err: error }, "scheduler error"),
        onTick: (result, ms) => metrics.observeTick(result, ms),
      })
    : null;
  const worker = roles.has("worker")
    ? new Worker(runtime, {
        concurrency: config.workerConcurrency,
        leaseMs: config.workerLeaseMs,
        workRoot: join(config.dataDir, "runs"),
        artifacts,
        inheritedEnv: config.connectorEnv,
      })
    : null;
  // Webhook deliveries go out from every node that runs workers (engine/webhooks.ts).
  const webhooks = roles.has("worker")
    ? new WebhookDispatcher(runtime, {
        onError: (error) => logger.error({ err: error }, "webhook dispatcher error"),
        onAttempt: (result, ms) => metrics.observeDelivery(result, ms),
      })
    : null;
  if (worker) {
    metrics.watchWorker(worker, config.workerConcurrency);
    worker.on("error", (error) => logger.error({ err: error }, "worker error"));
    worker.on("draining", ({ syncIds, graceMs }) =>
      lifecycle.info(
        { syncIds },
        `draining ${syncIds.length} running sync${syncIds.length === 1 ? "" : "s"}, up to ${graceMs / 1000} s`,
      ),
    );
    worker.on("graceExpired", ({ syncIds, graceMs }) =>
      lifecycle.warn(
        { syncIds },
        `grace period of ${graceMs / 1000} s over: stopping ${syncIds.length} running sync${syncIds.length === 1 ? "" : "s"}; a worker retries ${syncIds.length === 1 ? "it" : "them"}`,
      ),
    );
    worker.on("connectorLog", (claimed, line) =>
      logger.debug(
        { syncId: claimed.sync.id, connectorId: claimed.connector.id, connector: line },
        line.message,
      ),
    );
    worker.on("finished", (claimed, end) =>
      logger.info(
        {
          syncId: claimed.sync.id,
          connectorId: claimed.connector.id,
          trigger: claimed.sync.trigger,
          end,
        },
        `sync ${claimed.sync.id} ended ${end.state}`,
      ),
    );
  }

  if (api) {
    // Offline `credentials create` names this address in client ids unless told otherwise.
    await store.transaction((tx) => tx.putSetting(PUBLIC_URL_SETTING, publicUrl, clock.now()));
  }
  await ensureAdminCredential(store, clock, config.dataDir, publicHost(), lifecycle);
  const metricsServer = config.metricsListen
    ? await serveMetrics(metrics, config.metricsListen, logger).catch(async (error: unknown) => {
        await api?.close();
        await artifacts.close();
        await store.close();
        throw error;
      })
    : null;
  if (metricsServer) lifecycle.info(`metrics on ${metricsServer.url}/metrics`);
  scheduler?.start();
  worker?.start();
  webhooks?.start();
  const where = {
    roles: config.roles,
    dataDir: config.dataDir,
    store: store.backend,
    files: artifacts.backend,
  };
  if (api) lifecycle.info(where, `listening on ${publicUrl}`);
  else lifecycle.info(where, `running ${config.roles.join(", ")} (no HTTP listener)`);

  return {
    url: publicUrl,
    metricsUrl: metricsServer ? `${metricsServer.url}/metrics` : null,
    store,
    close: async () => {
      lifecycle.info("shutting down: no new requests or syncs");
      await api?.close(); // stop taking requests first
      await metricsServer?.close();
      await batonService?.drain(); // uploaded syncs being read finish
      await scheduler?.stop();
      await worker?.stop(); // running syncs finish, or are released after the grace period
      await webhooks?.stop(); // attempts in flight end (each within its timeout)
      await artifacts.close(); // their logs and files were written out before
      await store.close();
      lifecycle.info("stopped");
      logger.flush();
    },
  };
}

/**
 * On first start (no credentials at all) issue an admin credential and write it to
 * <data-dir>/admin-credential.json with mode 0600. The secret is never logged.
 */
async function ensureAdminCredential(
  store: Store,
  clock: Clock,
  dataDir: string,
  publicHost: string,
  logger: Logger,
): Promise<void> {
  if ((await store.listCredentials()).length > 0) return;
  const issued = await store.transaction(async (tx) => {
    // Nodes that start together on a new database: the one that claims the setting issues it.
    if (!(await tx.claimSetting(FIRST_ADMIN_SETTING, publicHost, clock.now()))) return null;
    return createCredentialInTx(tx, clock, {
      role: "admin",
      name: "admin",
      publicHost,
      actor: "system:first-start",
    });
  });
  if (!issued) {
    logger.info("first start: another node issued the admin credential (see its data dir)");
    return;
  }
  const path = join(dataDir, ADMIN_CREDENTIAL_FILE);
  writeFileSync(
    path,
    `${JSON.stringify({ clientId: issued.credential.clientId, clientSecret: issued.clientSecret }, null, 2)}\n`,
    { mode: 0o600 },
  );
  chmodSync(path, 0o600); // also when an old file was overwritten
  logger.info(
    { path, clientId: issued.credential.clientId },
    `first start: wrote the admin credential to ${path}`,
  );
}
