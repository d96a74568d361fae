// The clock and id source, passed explicitly to everything that needs "now" or a new id, so that
// tests (and the scheduler's fake clock) can replace them.

import { randomFillSync } from "node:crypto";
import { ksuidFrom } from "./domain/ids.js";

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

// Random bytes are drawn from the CSPRNG in blocks: one call per 256 ids instead of one per id.
const POOL = new Uint8Array(4096);
let offset = POOL.length;

function random16(): Uint8Array {
  if (offset + 16 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const bytes = POOL.slice(offset, offset + 16);
  offset += 16;
  return bytes;
}

export const newId = (clock: Clock = systemClock): string => ksuidFrom(clock.now(), random16());
