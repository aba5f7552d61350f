/**
 * Event ids: nanoid's format and strength (21 characters of the URL-safe alphabet
 * `A-Za-z0-9_-`, 126 bits from the crypto RNG), made about four times faster, because an id is
 * built for every event and nanoid() alone costs more than an emit (docs/architecture.md: measurements; the
 * dispatch scenario of `npm run bench` times an emit with and without building the event).
 *
 * nanoid appends 21 characters one by one. Here a pool of 63 × 64 random bytes is base64url-encoded
 * at once (each 3 bytes become 4 characters of 6 uniform bits, so 63 bytes make exactly four ids),
 * and each id is cut out of that string. It is cut in two pieces of at most 12 characters, which
 * V8 copies, and joined: a single 21-character slice would be a view that keeps the whole pool
 * string alive as long as any one of its ids is kept.
 */
import { randomFillSync } from "node:crypto";

const ID_LENGTH = 21;
const POOL_BYTES = 63 * 64;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let chars = "";
let position = 0;

export function eventId(): string {
  if (position >= chars.length) {
    randomFillSync(pool);
    chars = pool.toString("base64url");
    position = 0;
  }
  const at = position;
  position += ID_LENGTH;
  return chars.slice(at, at + 11) + chars.slice(at + 11, at + ID_LENGTH);
}
