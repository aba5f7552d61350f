/**
 * Seeded randomness and run sizes: the seeded generator (mulberry32, from src/), the seed of this
 * run (RELIABILITY_SEED replays one), and the long-run switch of the reliability suite.
 */
import { seededRandom } from "../../src/seeded-random.js";

export { seededRandom };

/** `RELIABILITY_LONG=1` runs every scenario at full size (minutes); the default stays quick. */
export const LONG = process.env.RELIABILITY_LONG === "1";

/** The default size, or the long one under RELIABILITY_LONG=1. */
export function size(quick: number, long: number): number {
  return LONG ? long : quick;
}

/** Seed of this run: RELIABILITY_SEED to replay one, else fresh; printed by each suite on failure. */
export const SEED =
  process.env.RELIABILITY_SEED === undefined
    ? (Date.now() ^ (process.pid << 8)) >>> 0
    : Number(process.env.RELIABILITY_SEED);

/** The seeded generator (mulberry32), with helpers to pick actions and latencies. */
export function rng(seed: number): {
  next: () => number;
  int: (n: number) => number;
  pick: <T>(items: readonly T[]) => T;
} {
  const next = seededRandom(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]! };
}
