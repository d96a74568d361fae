// Work signals between nodes: a transaction that made work claimable sends NOTIFY on
// WORK_CHANNEL just before its COMMIT (PostgreSQL delivers it when, and only if, the commit
// happens); every node keeps one connection that LISTENs and wakes its claimers.
//
// The listening connection is opened when the first listener subscribes and is kept up: when it
// drops (PostgreSQL restarted, the network failed) it reconnects with backoff, and after a
// reconnect it wakes its listeners once, since notifications sent meanwhile were lost. Claimers
// poll as well, so a lost signal costs latency, never work.

import pg from "pg";
import { WORK_CHANNEL, WorkListeners } from "../work.js";

const MAX_BACKOFF_MS = 5_000;

export class WorkChannel {
  readonly listeners = new WorkListeners();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;

  constructor(private readonly url: string) {}

  /** Adds a listener; the first one opens the listening connection. */
  subscribe(listener: () => void): () => void {
    const remove = this.listeners.add(listener);
    if (!this.client && !this.connecting && !this.closed) this.connect();
    return remove;
  }

  private connect(): void {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: "syncplane-listen",
      keepAlive: true,
    });
    client.on("notification", () => this.listeners.emit());
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    this.connecting = client
      .connect()
      .then(() => client.query(`LISTEN ${WORK_CHANNEL}`))
      .then(() => {
        if (this.closed) {
          void client.end().catch(() => undefined);
          return;
        }
        this.client = client;
        // Anything sent while no connection listened is lost: look once.
        if (this.failures > 0) this.listeners.emit();
        this.failures = 0;
      })
      .catch(() => this.lost(client))
      .finally(() => {
        this.connecting = null;
      });
  }

  private lost(client: pg.Client): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners("end");
    client.on("error", () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed || this.retryTimer) return;
    this.failures++;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 6));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed && !this.client && !this.connecting) this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}
