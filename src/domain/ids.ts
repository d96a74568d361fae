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
  // The 160-bit number as five 32-bit words, most significant first, divided by 62 repeatedly
  // (long division in base 2^32; 2^32·62 stays below 2^53, so plain numbers are exact).
  const words = [seconds, 0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    words[i + 1] =
      ((random16[i * 4] as number) * 0x1000000 +
        ((random16[i * 4 + 1] as number) << 16) +
        ((random16[i * 4 + 2] as number) << 8) +
        (random16[i * 4 + 3] as number)) >>>
      0;
  }
  const digits = new Array<string>(ID_LENGTH).fill("0");
  for (let position = ID_LENGTH - 1; position >= 0; position--) {
    let remainder = 0;
    for (let i = 0; i < 5; i++) {
      const value = remainder * 0x100000000 + (words[i] as number);
      words[i] = Math.floor(value / 62);
      remainder = value % 62;
    }
    digits[position] = ALPHABET[remainder] as string;
  }
  return digits.join("");
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
