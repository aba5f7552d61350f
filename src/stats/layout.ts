/**
 * The layout of the one SharedArrayBuffer that holds every statistics counter.
 *
 * All slots are 64-bit signed integers (BigInt64Array): counters never wrap. Only `Atomics`
 * touches them, from the main thread and from worker threads alike.
 *
 *   slot 0                16               16+S           16+S*(1+W)        +T     +1
 *   ┌─────────────────────┬────────────────┬──────────────┬─────────────────┬──────┐
 *   │ header (16 slots)   │ stripe 0: main │ stripes 1..W │ per-type counts │ over │
 *   └─────────────────────┴────────────────┴──────────────┴─────────────────┴──────┘
 *
 * A stripe is one thread's private set of counters, S slots long (a multiple of 16 slots, so
 * 128 bytes: two threads never write the same cache line; the same line hit from 2-3 threads
 * costs ~4x, see docs/architecture.md: statistics in shared memory). Readers sum the stripes.
 * Stripe 0 belongs to the main thread; each worker claims one of stripes 1..W with an Atomics.add
 * on HDR_NEXT_STRIPE (claims wrap around when replaced threads outnumber the stripes; the slots
 * stay correct, as every write is atomic, only slower when shared).
 *
 *   stripe:  0 EMITTED  1 DELIVERED  2 FILTERED  3 FAILED  4 IN_FLIGHT
 *            5 WORKER_COMPLETED  6 WORKER_FAILED  7 LAT_COUNT  8 LAT_SUM_NS
 *            9 FOLLOW_UPS  10 FOLLOW_UPS_DROPPED
 *            11 .. 11+LAT_BUCKETS-1  latency histogram (see histogram.ts)
 *
 * Per-type counts are written by the main thread only (events are emitted there): T interned
 * slots, then one overflow slot for types past the table's capacity.
 */

const HEADER_SLOTS = 16;
export const HDR_MAGIC = 0;
export const HDR_VERSION = 1;
export const HDR_WORKER_STRIPES = 2;
export const HDR_TYPE_CAPACITY = 3;
export const HDR_NEXT_STRIPE = 4;
/** Gauges kept by the main thread's worker dispatcher (events in flight to the pool). */
export const HDR_WORKER_IN_FLIGHT = 5;
export const HDR_WORKER_IN_FLIGHT_PEAK = 6;

export const MAGIC = 0x4e455552n; // "NEUR"
export const VERSION = 2n;

export const S_EMITTED = 0;
export const S_DELIVERED = 1;
export const S_FILTERED = 2;
export const S_FAILED = 3;
export const S_IN_FLIGHT = 4;
export const S_WORKER_COMPLETED = 5;
export const S_WORKER_FAILED = 6;
export const S_LAT_COUNT = 7;
export const S_LAT_SUM_NS = 8;
/** Events that offloaded handlers emitted with ctx.emit, and those dropped (see docs/offload.md). */
export const S_FOLLOW_UPS = 9;
export const S_FOLLOW_UPS_DROPPED = 10;
export const S_LAT_BUCKETS = 11;

/** Histogram: values below 2^MIN_EXP ns share bucket 0; then SUB buckets per power of two. */
export const LAT_MIN_EXP = 10; // 1.024 us
export const LAT_MAX_EXP = 37; // ~137 s; larger values land in the last bucket
export const LAT_SUB = 4; // 4 buckets per doubling: at most 19% relative error
export const LAT_BUCKETS = 1 + (LAT_MAX_EXP - LAT_MIN_EXP) * LAT_SUB;

const STRIPE_USED = S_LAT_BUCKETS + LAT_BUCKETS;
/** Slots per stripe, padded to whole 128-byte lines. */
const STRIPE_SLOTS = Math.ceil(STRIPE_USED / 16) * 16;

/** Counter slots of a stripe that resetStats() zeroes (gauges such as IN_FLIGHT are kept). */
export const RESETTABLE_SLOTS: readonly number[] = [
  S_EMITTED,
  S_DELIVERED,
  S_FILTERED,
  S_FAILED,
  S_WORKER_COMPLETED,
  S_WORKER_FAILED,
  S_FOLLOW_UPS,
  S_FOLLOW_UPS_DROPPED,
  S_LAT_COUNT,
  S_LAT_SUM_NS,
  ...Array.from({ length: LAT_BUCKETS }, (_, i) => S_LAT_BUCKETS + i),
];

export interface LayoutParams {
  workerStripes: number;
  typeCapacity: number;
}

export function stripeOffset(stripe: number): number {
  return HEADER_SLOTS + stripe * STRIPE_SLOTS;
}

export function typeOffset(params: LayoutParams): number {
  return stripeOffset(1 + params.workerStripes);
}

export function totalSlots(params: LayoutParams): number {
  return typeOffset(params) + params.typeCapacity + 1;
}

/** A new statistics buffer, its header written and every counter zero. */
export function createBuffer(params: LayoutParams): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(totalSlots(params) * BigInt64Array.BYTES_PER_ELEMENT);
  const slots = new BigInt64Array(buffer);
  slots[HDR_MAGIC] = MAGIC;
  slots[HDR_VERSION] = VERSION;
  slots[HDR_WORKER_STRIPES] = BigInt(params.workerStripes);
  slots[HDR_TYPE_CAPACITY] = BigInt(params.typeCapacity);
  return buffer;
}

/** The slots of a buffer made by `createBuffer`. @throws TypeError when it is not one, or of another layout version. */
export function openBuffer(buffer: SharedArrayBuffer): BigInt64Array {
  const slots = new BigInt64Array(buffer);
  if (slots[HDR_MAGIC] !== MAGIC) throw new TypeError("not a statistics buffer of @neurectomy/event-bus");
  if (slots[HDR_VERSION] !== VERSION)
    throw new TypeError("a statistics buffer of another version of @neurectomy/event-bus");
  return slots;
}
