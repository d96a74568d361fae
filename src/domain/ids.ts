// KSUID-shaped identifiers: 27 base62 characters encoding a 4-byte timestamp (seconds since the
// KSUID epoch, 2014-05-13T16:53:20Z) followed by 16 random bytes. They sort by creation second,
// which keeps "newest first" listings cheap, and match the `^[a-zA-Z0-9]{27}$` shape that baton's
// task ids and C1's object ids use. The random bytes are passed in so this module stays pure.

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KSUID_EPOCH_SECONDS = 1_400_000_000;
const ID_LENGTH = 27;
const ID_PATTERN = /^[0-9A-Za-z]{27}$/;

export function ksuidFrom(nowMs: number, random16: Uint8Array): string {
  if (random16.length !== 16) throw new Error("ksuid needs 16 random bytes");
  const seconds = Math.max(0, Math.floor(nowMs / 1000) - KSUID_EPOCH_SECONDS) >>> 0;
  let value = BigInt(seconds);
  for (const byte of random16) value = (value << 8n) | BigInt(byte);
  let out = "";
  while (value > 0n) {
    out = ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(ID_LENGTH, "0");
}

export const isKsuidShaped = (id: string): boolean => ID_PATTERN.test(id);

/** A small stable hash of a string (FNV-1a, 32 bit), for spreading work by id. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
