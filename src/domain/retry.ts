// Retry decisions for syncs: a failure classified retryable is tried again after an exponential
// backoff (with jitter) until the attempts run out; a fatal one ends the sync at once.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 30_000,
  maxDelayMs: 30 * 60_000,
};

export type RetryDecision =
  { readonly retry: true; readonly delayMs: number } | { readonly retry: false };

/**
 * @param attempt the attempt that just failed, 1 for the first
 * @param random a number in [0, 1) for the jitter (passed in: this module has no randomness)
 * @param retryAfterMs a delay the connector asked for, honoured when longer than the backoff
 */
export function decideRetry(
  attempt: number,
  retryable: boolean,
  random: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  retryAfterMs?: number,
): RetryDecision {
  if (!retryable || attempt >= policy.maxAttempts) return { retry: false };
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": half fixed, half random, so retries of many connectors spread out.
  const backoff = exponential / 2 + (exponential / 2) * random;
  return {
    retry: true,
    delayMs: Math.round(Math.max(backoff, Math.min(retryAfterMs ?? 0, policy.maxDelayMs))),
  };
}
