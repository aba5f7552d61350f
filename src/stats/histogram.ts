/**
 * Log-bucketed latency histogram over slots of a stripe (see layout.ts).
 *
 * Bucket 0 holds every value below 2^LAT_MIN_EXP ns. Above it, each power of two [2^e, 2^(e+1))
 * is split into LAT_SUB equal buckets, so a reported percentile is within one bucket (at most
 * 1/LAT_SUB = 25% wide, reported at its midpoint: within ~12%) of the true value.
 */
import { LAT_BUCKETS, LAT_MAX_EXP, LAT_MIN_EXP, LAT_SUB } from "./layout.js";

const MIN_NS = 2 ** LAT_MIN_EXP;
/** 2^e for every exponent the histogram uses: `2 ** exp` with a variable exponent calls pow(). */
const POW2 = Array.from({ length: LAT_MAX_EXP + 1 }, (_, e) => 2 ** e);

/** The bucket of a duration in nanoseconds. */
export function bucketOf(ns: number): number {
  if (!(ns >= MIN_NS)) return 0;
  let exp = Math.floor(Math.log2(ns));
  if (exp >= LAT_MAX_EXP) return LAT_BUCKETS - 1;
  // log2 may round up just below a power of two: keep ns within [2^exp, 2^(exp+1)).
  if (ns < POW2[exp]!) exp--;
  const sub = Math.floor((ns / POW2[exp]! - 1) * LAT_SUB);
  return 1 + (exp - LAT_MIN_EXP) * LAT_SUB + Math.min(sub, LAT_SUB - 1);
}

/** The [low, high) bounds in nanoseconds of a bucket. */
export function bucketBounds(bucket: number): [number, number] {
  if (bucket <= 0) return [0, 2 ** LAT_MIN_EXP];
  const i = bucket - 1;
  const exp = LAT_MIN_EXP + Math.floor(i / LAT_SUB);
  const sub = i % LAT_SUB;
  const base = 2 ** exp;
  return [base * (1 + sub / LAT_SUB), base * (1 + (sub + 1) / LAT_SUB)];
}

/** The value in nanoseconds at quantile q (0..1) of bucket counts, or 0 when empty. */
export function quantileOf(counts: readonly number[], q: number): number {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    seen += counts[b]!;
    if (seen >= rank) {
      const [low, high] = bucketBounds(b);
      return (low + high) / 2;
    }
  }
  return 0;
}
