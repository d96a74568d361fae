// Prometheus metrics (GET /metrics, prom-client; every name begins with syncplane_).
//
// Two kinds of figures:
// - the database's, read at each scrape (store.metricsSnapshot): queued and running syncs, the
//   queue's depth and the age of its oldest runnable sync, open provisioning tasks, holds,
//   connected service-mode connectors. They are the same on every node: sum them over nodes and
//   you count them several times — scrape one node, or use max().
// - this process's own, counted as things happen here: HTTP requests, syncs and tasks this node's
//   workers ended and how long the syncs took, busy worker slots, the scheduler's fire lag and
//   tick duration, webhook delivery attempts by result, and the process itself (CPU, memory,
//   event loop, GC). Sum them over nodes.
// Labels carry states, triggers, kinds and route templates only — never an id, a client id or
// anything secret.

import type { DeliveryResult } from "../engine/webhooks.js";
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
} from "prom-client";
import { createServer } from "node:http";
import type { Logger } from "pino";
import type { Runtime } from "../commands/context.js";
import type { TickResult } from "../engine/scheduler.js";
import type { Worker } from "../engine/worker.js";

const PREFIX = "syncplane_";
/** Seconds: from a millisecond request to a day-long sync. */
const SYNC_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  private readonly httpRequests = this.counter({
    name: `${PREFIX}http_requests_total`,
    help: "HTTP requests answered, by method, route template and status code.",
    labelNames: ["method", "route", "status"],
  });
  private readonly httpDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: "Time to answer an HTTP request, by method and route template.",
    labelNames: ["method", "route"],
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly syncEnds = this.counter({
    name: `${PREFIX}sync_ends_total`,
    help: "Sync attempts this node's workers ended, by outcome (QUEUED: failed and will be retried; LOST: taken back) and trigger.",
    labelNames: ["state", "trigger"],
  });
  private readonly syncDuration = new Histogram({
    name: `${PREFIX}sync_duration_seconds`,
    help: "How long a sync attempt ran on this node's workers, by outcome.",
    labelNames: ["state"],
    buckets: SYNC_BUCKETS,
    registers: [this.registry],
  });
  private readonly taskEnds = this.counter({
    name: `${PREFIX}provisioning_task_ends_total`,
    help: "Grants and revokes this node's workers ended, by kind and outcome.",
    labelNames: ["kind", "state"],
  });
  private readonly busy = new Gauge({
    name: `${PREFIX}workers_busy`,
    help: "Syncs and provisioning tasks this node's workers are running.",
    registers: [this.registry],
  });
  private readonly slots = new Gauge({
    name: `${PREFIX}worker_slots`,
    help: "How many syncs and tasks this node's workers may run at once.",
    registers: [this.registry],
  });
  private readonly fireLag = new Histogram({
    name: `${PREFIX}scheduler_fire_lag_seconds`,
    help: "How late after its fire time this node's scheduler queued a schedule's sync.",
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
  private readonly tickDuration = new Histogram({
    name: `${PREFIX}scheduler_tick_duration_seconds`,
    help: "How long one scheduler tick of this node took (due schedules fired, timed pauses ended).",
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
  private readonly webhookDeliveries = this.counter({
    name: `${PREFIX}webhook_deliveries_total`,
    help: "Webhook delivery attempts this node made, by result (delivered; retried: failed, will be tried again; failed: given up).",
    labelNames: ["result"],
  });
  private readonly webhookDuration = new Histogram({
    name: `${PREFIX}webhook_delivery_duration_seconds`,
    help: "How long a webhook receiver took to answer (or to fail) on this node's attempts.",
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly syncs = this.gauge(
    "syncs",
    "Syncs QUEUED or RUNNING now, by state and trigger (database-wide).",
    ["state", "trigger"],
  );
  private readonly queueDepth = this.gauge(
    "queue_depth",
    "Syncs waiting in the queue (database-wide).",
  );
  private readonly queueAge = this.gauge(
    "queue_oldest_age_seconds",
    "Age of the oldest queued sync that may start now; 0 when none (database-wide).",
  );
  private readonly tasks = this.gauge(
    "provisioning_tasks",
    "Open provisioning tasks by state: QUEUED, HELD, RUNNING (database-wide).",
    ["state"],
  );
  private readonly holds = this.gauge(
    "holds",
    "Active holds by kind: PAUSED, DATA_DROP (database-wide).",
    ["kind"],
  );
  private readonly connected = this.gauge(
    "service_connectors_connected",
    "Service-mode connectors that called in recently (database-wide).",
  );

  constructor(private readonly runtime: Runtime) {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** Counts an answered HTTP request; `route` is the route's template, never the concrete URL. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  }

  /** Follows a worker's runs. */
  watchWorker(worker: Worker, concurrency: number): void {
    this.slots.set(concurrency);
    const running = () => this.busy.set(worker.activeCount);
    worker.on("claimed", running);
    worker.on("taskClaimed", running);
    worker.on("finished", (claimed, end) => {
      running();
      this.syncEnds.inc({ state: end.state, trigger: claimed.sync.trigger });
      // The claim set startedAt (this attempt's start).
      const started = claimed.sync.startedAt ?? this.runtime.clock.now();
      this.syncDuration.observe(
        { state: end.state },
        Math.max(0, (this.runtime.clock.now() - started) / 1000),
      );
    });
    worker.on("taskFinished", (claimed, end) => {
      running();
      this.taskEnds.inc({ kind: claimed.task.kind, state: end.state });
    });
  }

  /** A scheduler tick's figures (SchedulerOptions.onTick). */
  observeTick(result: TickResult, durationMs: number): void {
    this.tickDuration.observe(durationMs / 1000);
    for (const lag of result.lagsMs) this.fireLag.observe(Math.max(0, lag) / 1000);
  }

  /** Counts a webhook delivery attempt (engine/webhooks.ts). */
  observeDelivery(result: DeliveryResult, durationMs: number): void {
    this.webhookDeliveries.inc({ result });
    this.webhookDuration.observe(durationMs / 1000);
  }

  /** The exposition text, with the database's figures read now. */
  async text(): Promise<string> {
    const now = this.runtime.clock.now();
    const snapshot = await this.runtime.store.metricsSnapshot(now);
    this.syncs.reset();
    let queued = 0;
    for (const row of snapshot.syncs) {
      this.syncs.set({ state: row.state, trigger: row.trigger }, row.count);
      if (row.state === "QUEUED") queued += row.count;
    }
    this.queueDepth.set(queued);
    this.queueAge.set(
      snapshot.oldestRunnableQueuedAt === null
        ? 0
        : Math.max(0, (now - snapshot.oldestRunnableQueuedAt) / 1000),
    );
    this.tasks.reset();
    for (const state of ["QUEUED", "HELD", "RUNNING"]) this.tasks.set({ state }, 0);
    for (const row of snapshot.tasks) this.tasks.set({ state: row.state }, row.count);
    this.holds.reset();
    for (const kind of ["PAUSED", "DATA_DROP"]) this.holds.set({ kind }, 0);
    for (const row of snapshot.holds) this.holds.set({ kind: row.kind }, row.count);
    this.connected.set(snapshot.connectedServiceConnectors);
    return this.registry.metrics();
  }

  private counter<T extends string>(config: CounterConfiguration<T>): Counter<T> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  private gauge<T extends string>(name: string, help: string, labelNames: T[] = []): Gauge<T> {
    return new Gauge({ name: `${PREFIX}${name}`, help, labelNames, registers: [this.registry] });
  }
}

/**
 * A plain-HTTP listener that answers GET /metrics (and nothing else), without a token: for nodes
 * without the api role, on an address only the scraper reaches (serve --metrics-listen).
 */
export async function serveMetrics(
  metrics: Metrics,
  at: { readonly host: string; readonly port: number },
  logger: Logger,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("only GET /metrics here\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end();
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { "content-type": metrics.contentType }).end(text),
      (error: unknown) => {
        logger.error({ err: error }, "metrics: the database's figures could not be read");
        response.writeHead(503, { "content-type": "text/plain" }).end("metrics unavailable\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => resolve());
  });
  const bound = server.address();
  const port = bound && typeof bound === "object" ? bound.port : at.port;
  const host = at.host.includes(":") ? `[${at.host}]` : at.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a scraper's keep-alive connection would hold close()
      }),
  };
}
