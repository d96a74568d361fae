// The clock and id source, passed explicitly to everything that needs "now" or a new id, so that
// tests (and the scheduler's fake clock) can replace them.

import { randomBytes } from "node:crypto";
import { ksuidFrom } from "./domain/ids.js";

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const newId = (clock: Clock = systemClock): string =>
  ksuidFrom(clock.now(), randomBytes(16));
