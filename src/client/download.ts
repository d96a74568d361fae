// Streams a download to a file: into a temporary name next to it, renamed into place only once
// complete, so a failed or interrupted download never leaves a partial file at the path.
// Node-only (node:fs, node:stream): reached from the Node entry (node.ts), never from index.ts,
// which must bundle for a browser.

import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { errorFromResponse } from "./errors.js";

/** Writes the body of `response` to `path`; returns the number of bytes written. */
export async function downloadTo(response: Response, path: string): Promise<number> {
  if (!response.ok) throw errorFromResponse(response.status, await response.text());
  const body = response.body
    ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)
    : Readable.from([]);
  // fetch decodes a content-encoding, after which content-length no longer counts the bytes.
  const length = response.headers.get("content-encoding")
    ? null
    : response.headers.get("content-length");
  return writeAll(body, path, length === null ? null : Number(length));
}

async function writeAll(body: Readable, path: string, expected: number | null): Promise<number> {
  const partial = `${path}.${process.pid}.partial`;
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, count, createWriteStream(partial, { mode: 0o600 }));
    if (expected !== null && bytes !== expected) {
      throw new Error(`download cut short: got ${bytes} of ${expected} bytes`);
    }
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return bytes;
}
