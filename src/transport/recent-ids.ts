/**
 * The ids of events received lately, each with the promise of its local dispatch, so that a
 * redelivery (JetStream after an ack timeout, or a copy stored twice) is recognised and acked
 * only once the first delivery has settled. Bounded: the oldest id is forgotten first.
 *
 * Every received event passes through here, so the window keeps no object per id: an id's
 * characters are copied into a ring of fixed-width slots in typed arrays, found through an
 * open-addressing index of slot numbers (linear probing, at most half full). A Map of the id
 * strings kept the last 10,000 ids alive as strings, copied by every scavenge and then promoted;
 * in CPU profiles of bench/nats.ts (`MODES="core      bridge"`) its lookups and inserts took
 * 0.5-0.6 µs per received event, these 0.15-0.3 µs, and the collector's share fell by one to
 * three points. Ids longer than a slot (rare: the bus's own are 21 characters, a UUID 36) are
 * kept as strings beside it. The hash is seeded per window, so ids chosen to collide cannot be
 * prepared in advance. Memory is taken as the window first fills, about 100 bytes per id (an
 * id over 36 characters costs its string besides), and kept until the bridge closes.
 */
import { randomInt } from "node:crypto";

export const SETTLED: Promise<void> = Promise.resolve();

/** Characters stored in place per id. */
const WIDTH = 36;
/** Slots allocated at first; the arrays grow (doubling) while the ring fills for the first time. */
const FIRST_SLOTS = 4096;

export class RecentIds {
  /** Per slot: the id's length + 1, or 0 when the slot holds no id. */
  private lengths: Int32Array;
  private hashes: Int32Array;
  /** Per slot: WIDTH character codes. */
  private chars: Uint16Array;
  /** Per slot: the dispatch promise of its id. */
  private readonly dispatches: (Promise<void> | undefined)[] = [];
  /** Ids longer than WIDTH, by slot. */
  private readonly long = new Map<number, string>();
  /** Open addressing: slot + 1, or 0 for an empty place. */
  private index: Int32Array;
  private mask: number;
  private next = 0;
  private size = 0;
  private readonly seed = randomInt(0x7fffffff);
  /** The last id hashed, and its hash: receive() asks for the same id twice in a row. */
  private lastId: string | null = null;
  private lastHash = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0)
      throw new RangeError(`a dedupe window holds a whole number of ids, not ${capacity}`);
    const slots = Math.min(capacity, FIRST_SLOTS);
    this.lengths = new Int32Array(slots);
    this.hashes = new Int32Array(slots);
    this.chars = new Uint16Array(slots * WIDTH);
    this.index = new Int32Array(placesFor(slots));
    this.mask = this.index.length - 1;
  }

  /** The dispatch of `id` when it was seen lately, else undefined. */
  get(id: string): Promise<void> | undefined {
    // A node that imports nothing never remembers an id: spare every emit hashing its id.
    if (this.size === 0) return undefined;
    const slot = this.find(id);
    return slot < 0 ? undefined : this.dispatches[slot];
  }

  /** Remembers `id`, which get() has just not found, forgetting the oldest id when full. */
  remember(id: string, dispatched: Promise<void>): void {
    if (this.capacity === 0) return;
    const slot = this.next;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (slot === this.lengths.length) this.grow();
    else if (this.lengths[slot] !== 0) this.clear(slot);
    const hash = this.hashOf(id);
    this.hashes[slot] = hash;
    this.lengths[slot] = id.length + 1;
    if (id.length > WIDTH) this.long.set(slot, id);
    else {
      const chars = this.chars;
      const base = slot * WIDTH;
      for (let k = 0; k < id.length; k++) chars[base + k] = id.charCodeAt(k);
    }
    this.dispatches[slot] = dispatched;
    // A rehash places every held id, this one included.
    if (++this.size * 2 > this.index.length) this.rehash(this.index.length * 2);
    else this.place(slot, hash);
  }

  /** The dispatch of a remembered `id` is now `dispatched` (it was remembered before it began). */
  replace(id: string, dispatched: Promise<void>): void {
    const slot = this.find(id);
    if (slot >= 0) this.dispatches[slot] = dispatched;
  }

  /**
   * The dispatch of `id` has settled: the id stays, its promise goes (and what its reactions held).
   * Kept for the whole window, 10,000 promises of settled dispatches survived every scavenge.
   */
  settled(id: string): void {
    const slot = this.find(id);
    if (slot >= 0) this.dispatches[slot] = SETTLED;
  }

  /** Forgets `id` (its slot stays empty until the ring comes round to it). */
  forget(id: string): void {
    const slot = this.find(id);
    if (slot >= 0) this.clear(slot);
  }

  /** The slot holding `id`, or -1. */
  private find(id: string): number {
    const hash = this.hashOf(id);
    const index = this.index;
    const mask = this.mask;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const entry = index[at]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.holds(slot, id)) return slot;
    }
  }

  private holds(slot: number, id: string): boolean {
    if (this.lengths[slot] !== id.length + 1) return false;
    if (id.length > WIDTH) return this.long.get(slot) === id;
    const chars = this.chars;
    const base = slot * WIDTH;
    for (let k = 0; k < id.length; k++) if (chars[base + k] !== id.charCodeAt(k)) return false;
    return true;
  }

  /** Seeded FNV-1a over the UTF-16 code units, with murmur3's finalizer so that the low bits mix. */
  private hashOf(id: string): number {
    if (id === this.lastId) return this.lastHash;
    let h = this.seed ^ 0x811c9dc5;
    for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    this.lastId = id;
    this.lastHash = h;
    return h;
  }

  private place(slot: number, hash: number): void {
    const index = this.index;
    const mask = this.mask;
    let at = hash & mask;
    while (index[at] !== 0) at = (at + 1) & mask;
    index[at] = slot + 1;
  }

  /** Empties `slot` and takes it out of the index (backward-shift deletion: no tombstones). */
  private clear(slot: number): void {
    const index = this.index;
    const mask = this.mask;
    let hole = this.hashes[slot]! & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Entries after the hole move back into it unless their home place lies after the hole.
    for (let at = (hole + 1) & mask; index[at] !== 0; at = (at + 1) & mask) {
      const home = this.hashes[index[at]! - 1]! & mask;
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        index[hole] = index[at]!;
        hole = at;
      }
    }
    index[hole] = 0;
    if (this.lengths[slot]! > WIDTH + 1) this.long.delete(slot);
    this.lengths[slot] = 0;
    this.dispatches[slot] = undefined;
    this.size--;
  }

  /** The ring reached the end of its slots before `capacity`: twice as many. */
  private grow(): void {
    const slots = Math.min(this.capacity, this.lengths.length * 2);
    const lengths = new Int32Array(slots);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const hashes = new Int32Array(slots);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const chars = new Uint16Array(slots * WIDTH);
    chars.set(this.chars);
    this.chars = chars;
  }

  private rehash(places: number): void {
    this.index = new Int32Array(places);
    this.mask = places - 1;
    for (let slot = 0; slot < this.lengths.length; slot++)
      if (this.lengths[slot] !== 0) this.place(slot, this.hashes[slot]!);
  }
}

/** Index places for `slots` ids: a power of two, at least twice as many. */
function placesFor(slots: number): number {
  let places = 16;
  while (places < slots * 2) places *= 2;
  return places;
}
