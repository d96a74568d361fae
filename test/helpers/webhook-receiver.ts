// A webhook receiver on loopback for tests: records every request (headers and body) and
// answers with the status the test queued (200 when none is queued).

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Statuses for the next requests, in order (then 200). */
  readonly answers: number[] = [];
  /** Milliseconds to wait before answering (a slow receiver). */
  delayMs = 0;
  /** The body of a refusal (status ≥ 300). */
  refusal = "not now";
  private server: Server | null = null;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        this.received.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        });
        const status = this.answers.shift() ?? 200;
        setTimeout(
          () => response.writeHead(status).end(status >= 300 ? this.refusal : ""),
          this.delayMs,
        );
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Waits until `count` requests arrived (bounded). */
  async waitFor(count: number, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`the receiver got ${this.received.length} requests, expected ${count}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.received;
  }
}
