import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newWebhookSecret, signWebhook, verifyWebhook } from "./webhook-signing.js";

describe("webhook signatures (Standard Webhooks)", () => {
  it("match the scheme's published example", () => {
    // The example of the Standard Webhooks specification (its README, "Signature scheme").
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const body = '{"test": 2432232314}';
    assert.equal(
      signWebhook(secret, id, 1614265330, body),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  it("verify within the tolerance only, and any of several signatures", () => {
    const secret = newWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const signature = signWebhook(secret, "e1", 1_000, "{}");
    const headers = { id: "e1", timestamp: "1000", signature: `v1,bm9wZQ== ${signature}` };
    assert.ok(verifyWebhook(secret, headers, "{}", 1_200));
    assert.ok(!verifyWebhook(secret, headers, "{}", 1_301), "too old");
    assert.ok(!verifyWebhook(secret, { ...headers, id: "e2" }, "{}", 1_000), "another message");
    assert.ok(!verifyWebhook(secret, { ...headers, timestamp: "x" }, "{}", 1_000));
  });
});
