import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideRetry } from "./retry.js";

const policy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 5000 };

describe("retry decisions", () => {
  it("never retries fatal failures", () => {
    assert.deepEqual(decideRetry(1, false, 0.5, policy), { retry: false });
  });
  it("backs off exponentially with jitter, capped", () => {
    assert.deepEqual(decideRetry(1, true, 0, policy), { retry: true, delayMs: 500 });
    assert.deepEqual(decideRetry(1, true, 0.999999, policy), { retry: true, delayMs: 1000 });
    assert.deepEqual(decideRetry(2, true, 0, policy), { retry: true, delayMs: 1000 });
    assert.deepEqual(decideRetry(3, true, 1, policy), { retry: true, delayMs: 4000 });
  });
  it("stops after the last attempt", () => {
    assert.deepEqual(decideRetry(4, true, 0.5, policy), { retry: false });
  });
  it("honours a longer Retry-After, up to the cap", () => {
    assert.deepEqual(decideRetry(1, true, 0, policy, 3000), { retry: true, delayMs: 3000 });
    assert.deepEqual(decideRetry(1, true, 0, policy, 60_000), { retry: true, delayMs: 5000 });
  });
});
