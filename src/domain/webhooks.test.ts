import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "./errors.js";
import { eventBody, parseWebhook, RETRY_DELAYS_MS, retryDelay } from "./webhooks.js";

const refused = (input: Record<string, unknown>, pattern: RegExp) =>
  assert.throws(
    () => parseWebhook(input),
    (e: unknown) =>
      e instanceof AppError && e.codeName === "INVALID_ARGUMENT" && pattern.test(e.message),
  );

describe("webhook subscriptions", () => {
  it("take an http(s) URL, known event types (sorted, once each) and a threshold", () => {
    const parsed = parseWebhook({
      url: " https://hooks.example.com/a?b=1 ",
      eventTypes: ["sync.held", "pause.ended", "sync.held"],
    });
    assert.deepEqual(parsed, {
      url: "https://hooks.example.com/a?b=1",
      eventTypes: ["pause.ended", "sync.held"],
      appId: null,
      failureThreshold: 3,
      description: "",
    });
    assert.equal(
      parseWebhook({
        url: "http://127.0.0.1:8080/x",
        eventTypes: ["task.failed"],
        failureThreshold: 5,
      }).failureThreshold,
      5,
    );
  });

  it("refuse what could never be delivered, naming the field", () => {
    refused(
      { url: "hooks.example.com", eventTypes: ["sync.held"] },
      /^url: "hooks.example.com" is not an absolute URL/,
    );
    refused(
      { url: "ftp://hooks.example.com", eventTypes: ["sync.held"] },
      /^url must be http or https, got "ftp"/,
    );
    refused(
      { url: "https://u:p@hooks.example.com", eventTypes: ["sync.held"] },
      /^url must not carry a user name or password/,
    );
    refused(
      { url: "https://h.example", eventTypes: [] },
      /^eventTypes must name at least one of sync\.held/,
    );
    refused(
      { url: "https://h.example", eventTypes: ["sync.done"] },
      /^eventTypes: "sync\.done" is not an event type/,
    );
    refused(
      { url: "https://h.example", eventTypes: ["sync.held"], failureThreshold: 101 },
      /^failureThreshold must be a whole number from 1 to 100, got "101"/,
    );
    refused(
      { url: "https://h.example", eventTypes: ["sync.held"], failureThreshold: 1.5 },
      /^failureThreshold/,
    );
  });
});

describe("webhook retries", () => {
  it("back off 10 s, 30 s, 2 min … 6 h, within ±10%, then give up", () => {
    assert.equal(retryDelay(1, 0.5), 10_000);
    assert.equal(retryDelay(1, 0), 9_000);
    assert.equal(retryDelay(1, 1), 11_000);
    assert.equal(retryDelay(8, 0.5), 6 * 3_600_000);
    assert.equal(retryDelay(RETRY_DELAYS_MS.length + 1, 0.5), null);
    const total = RETRY_DELAYS_MS.reduce((sum, ms) => sum + ms, 0);
    assert.ok(total > 10 * 3_600_000 && total < 11 * 3_600_000, "about 11 hours in all");
  });
});

describe("webhook bodies", () => {
  it("carry the event's id, type, time, and its data with the app and connector", () => {
    const body = eventBody({
      id: "e1",
      type: "sync.held",
      occurredAt: Date.parse("2026-12-07T10:00:00Z"),
      appId: "a1",
      connectorId: "c1",
      data: { syncId: "s1" },
    });
    assert.equal(
      body,
      '{"id":"e1","type":"sync.held","occurredAt":"2026-12-07T10:00:00.000Z","data":{"appId":"a1","connectorId":"c1","syncId":"s1"}}',
    );
  });
});
