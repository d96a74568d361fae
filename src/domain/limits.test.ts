import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkAttributes,
  checkLength,
  checkList,
  clip,
  codePoints,
  LIMITS,
  MAX_ATTRIBUTES_BYTES,
  quote,
} from "./limits.js";

describe("limits", () => {
  it("counts code points, as JSON Schema's maxLength does", () => {
    assert.equal(codePoints("abc"), 3);
    assert.equal(codePoints("😀😀"), 2, "a surrogate pair is one character");
    assert.equal(codePoints("\ud800x"), 2, "a lone surrogate still counts once");
  });

  it("refuses a string over its limit, naming the field, the length and the limit", () => {
    assert.equal(checkLength("cronSpec", "x".repeat(LIMITS.cronSpec), "cronSpec").length, 256);
    assert.throws(
      () => checkLength("cronSpec", "x".repeat(LIMITS.cronSpec + 1), "cronSpec"),
      /^InvalidArgument: cronSpec is too long: 257 characters, at most 256$|cronSpec is too long: 257 characters, at most 256/,
    );
    // 256 emoji are 512 UTF-16 units but 256 characters: within the limit.
    assert.doesNotThrow(() => checkLength("displayName", "😀".repeat(256), "displayName"));
    assert.throws(() => checkLength("x", "abc", 2), /x is too long: 3 characters, at most 2/);
  });

  it("bounds lists by entries and each entry by its own limit", () => {
    assert.throws(
      () => checkList("userIds", Array(101).fill("u"), "id", "userIds"),
      /userIds has 101 entries, at most 100/,
    );
    assert.throws(
      () => checkList("args", ["ok", "y".repeat(LIMITS.path + 1)], "path", "args"),
      /args\[1\] is too long/,
    );
  });

  it("bounds free-form attributes in depth, size and every string", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10; i++) deep = { nested: deep };
    assert.throws(() => checkAttributes({ deep }), /nested more than 8 levels deep/);
    assert.throws(
      () => checkAttributes({ note: "z".repeat(LIMITS.longText + 1) }),
      /note is too long/,
    );
    const many = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`k${i}`, "v".repeat(LIMITS.longText)]),
    );
    assert.throws(
      () => checkAttributes(many),
      new RegExp(`take \\d+ bytes as JSON, at most ${MAX_ATTRIBUTES_BYTES}`),
    );
    assert.doesNotThrow(() => checkAttributes({ annotations: [{ a: 1 }], flag: true }));
  });

  it("quotes client input only as a short prefix, with its full length", () => {
    assert.equal(quote("Europe/Paris"), '"Europe/Paris"');
    const long = quote("A".repeat(5000));
    assert.ok(long.length < 80, long);
    assert.match(long, /^"A{48}…" \(5000 characters\)$/);
    assert.equal(quote({ a: 1 }), '"{\\"a\\":1}"');
    assert.match(
      quote("😀".repeat(100)),
      /^"(😀){48}…" \(100 characters\)$/,
      "never splits a pair",
    );
    assert.equal(clip("/api/v1/apps"), "/api/v1/apps");
    assert.match(clip(`/api/${"0".repeat(500)}`), /^\/api\/0{75}… \(505 characters\)$/);
  });
});
