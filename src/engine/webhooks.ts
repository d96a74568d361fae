// The webhook dispatcher: claims due deliveries from the outbox (store/webhooks.ts), POSTs each
// signed (domain/webhooks.ts), and records the attempt: 2xx is DELIVERED; anything else (an
// error status, a redirect, no answer within the timeout) is tried again after the next backoff
// step, until the steps run out and the delivery is FAILED. Runs on every node with the worker
// role; claims are leases, so a dispatcher that dies leaves its deliveries to another after the
// lease. Nothing here is on any command's path: a slow receiver only delays its own deliveries.

import type { Runtime } from "../commands/context.js";
import { signWebhook } from "../auth/webhook-signing.js";
import { retryDelay } from "../domain/webhooks.js";
import { newId } from "../runtime.js";
import type { ClaimedDelivery, DeliveryOutcome } from "../store/webhooks.js";

export type DeliveryResult = "delivered" | "retried" | "failed";

export interface DispatcherOptions {
  /** Deliveries in flight at once. */
  readonly concurrency?: number;
  /** Longest wait between looks at the outbox. */
  readonly pollMs?: number;
  /** How long a receiver has to answer. */
  readonly timeoutMs?: number;
  /** Wait after the nth failed attempt, or null: give up (default: domain RETRY_DELAYS_MS). */
  readonly retryDelay?: (attempts: number, random: number) => number | null;
  readonly fetch?: typeof fetch;
  readonly onError?: (error: unknown) => void;
  /** Told of every attempt (metrics). */
  readonly onAttempt?: (result: DeliveryResult, durationMs: number) => void;
}

const USER_AGENT = "syncplane-webhooks/1";
/** Kept of a receiver's error answer, for the delivery's lastError. */
const ERROR_BODY_CHARS = 200;

/**
 * The first `maxBytes` of a response body as text; the rest is never read (a receiver may answer
 * with anything, of any size), and the body is released either way.
 */
async function bodyStart(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short still says what it said
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes.subarray(0, maxBytes));
}

export class WebhookDispatcher {
  readonly id: string;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: DispatcherOptions = {},
  ) {
    this.id = `webhooks-${newId(runtime.clock)}`;
    this.concurrency = options.concurrency ?? 4;
    this.pollMs = options.pollMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Sends every delivery due now (in rounds of `concurrency`); returns how many it attempted. */
  async tick(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const now = this.runtime.clock.now();
      // Nearly always nothing is due: look before taking the write lock.
      const next = await this.runtime.store.nextDeliveryAt();
      if (next === null || next > now) return attempted;
      // The lease outlasts the attempt's timeout, so no one else takes it meanwhile.
      const claimed = await this.runtime.store.transaction((tx) =>
        tx.claimDeliveries(this.id, now, now + this.timeoutMs * 3, this.concurrency),
      );
      if (claimed.length === 0) return attempted;
      await Promise.all(claimed.map((claim) => this.attempt(claim)));
      attempted += claimed.length;
    }
  }

  private async attempt(claim: ClaimedDelivery): Promise<void> {
    const { delivery } = claim;
    const started = performance.now();
    let status: number | null = null;
    let error = "";
    if (claim.webhookDeleted) {
      error = "the webhook was deleted";
    } else {
      try {
        const timestamp = Math.floor(this.runtime.clock.now() / 1000);
        const response = await (this.options.fetch ?? fetch)(claim.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery.eventId,
            "webhook-timestamp": String(timestamp),
            "webhook-signature": signWebhook(
              claim.secret,
              delivery.eventId,
              timestamp,
              delivery.payload,
            ),
          },
          body: delivery.payload,
          redirect: "manual",
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        status = response.status;
        // Only the start of a refusal is kept; a success's body is released unread.
        const delivered = status >= 200 && status < 300;
        const text = await bodyStart(response, delivered ? 0 : ERROR_BODY_CHARS * 4);
        if (!delivered) {
          error = `HTTP ${status}${text ? `: ${text.slice(0, ERROR_BODY_CHARS)}` : ""}`;
        }
      } catch (failure) {
        const cause = failure as Error & { cause?: { code?: string; message?: string } };
        error =
          cause.name === "TimeoutError"
            ? `no answer within ${this.timeoutMs / 1000} s`
            : `cannot reach the receiver: ${cause.cause?.code ?? cause.cause?.message ?? cause.message}`;
      }
    }
    const at = this.runtime.clock.now();
    const delay =
      error === "" || claim.webhookDeleted
        ? null
        : (this.options.retryDelay ?? retryDelay)(delivery.attempts, Math.random());
    const outcome: DeliveryOutcome =
      error === ""
        ? { state: "DELIVERED", nextAttemptAt: null, status, error: "", at }
        : delay === null
          ? { state: "FAILED", nextAttemptAt: null, status, error, at }
          : { state: "PENDING", nextAttemptAt: at + delay, status, error, at };
    try {
      await this.runtime.store.transaction((tx) =>
        tx.finishDelivery(delivery.id, this.id, delivery.attempts, outcome),
      );
    } catch (failure) {
      this.options.onError?.(failure);
    }
    this.options.onAttempt?.(
      outcome.state === "DELIVERED"
        ? "delivered"
        : outcome.state === "FAILED"
          ? "failed"
          : "retried",
      performance.now() - started,
    );
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.tick();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!this.running) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}
