import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { signDownload, verifyDownload } from "./signed-urls.js";

const key = randomBytes(32);
const grant = { connectorId: "conn1", syncId: "sync1", expires: 1_800_000_000 };
const queryOf = (path: string) =>
  Object.fromEntries(new URL(path, "http://x").searchParams) as Record<string, string>;

describe("signed download URLs", () => {
  it("accept their own URL until it expires, then refuse it saying when it expired", () => {
    const path = signDownload(key, grant);
    assert.match(
      path,
      /^\/downloads\/syncs\/sync1\/sync\.c1z\?connector=conn1&expires=1800000000&signature=/,
    );
    assert.deepEqual(verifyDownload(key, "sync1", queryOf(path), 1_799_999_999_000), grant);
    assert.throws(() => verifyDownload(key, "sync1", queryOf(path), 1_800_000_000_000), {
      codeName: "PERMISSION_DENIED",
      message: /expired at 2027-01-15T08:00:00\.000Z; ask for a new one/,
    });
  });

  it("refuse a changed sync, connector, expiry or signature, another key, and missing parts", () => {
    const query = queryOf(signDownload(key, grant));
    const now = 1_700_000_000_000;
    const refused = (syncId: string, q: Record<string, string>, k = key) =>
      assert.throws(() => verifyDownload(k, syncId, q, now), {
        codeName: "PERMISSION_DENIED",
        message: /signature is not valid/,
      });
    refused("sync2", query);
    refused("sync1", { ...query, connector: "conn2" });
    refused("sync1", { ...query, expires: "1900000000" });
    // The last character changed (to another one: a 32-byte MAC's last base64url character is
    // one of 16, so a fixed replacement would sometimes be the same).
    const signature = query.signature ?? "";
    const last = signature.endsWith("A") ? "E" : "A";
    refused("sync1", { ...query, signature: `${signature.slice(0, -1)}${last}` });
    refused("sync1", query, randomBytes(32));
    assert.throws(() => verifyDownload(key, "sync1", { connector: "conn1" }, now), {
      message: /incomplete/,
    });
  });
});
