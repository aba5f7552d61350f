/**
 * The ids of events received lately, each with the promise of its local dispatch, so that a
 * redelivery (JetStream after an ack timeout, or a copy stored twice) is recognised and acked
 * only once the first delivery has settled. Bounded: the oldest id is forgotten first.
 *
 * The eviction order lives in a ring of ids, not in the Map's insertion order: deleting a Map's
 * first key over and over leaves tombstones that `keys().next()` walks past, which made this
 * a quarter of the receive path at 10,000 ids (a CPU profile of bench/nats.ts).
 */
export const SETTLED: Promise<void> = Promise.resolve();

export class RecentIds {
  private readonly ids = new Map<string, Promise<void>>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** The dispatch of `id` when it was seen lately, else undefined. */
  get(id: string): Promise<void> | undefined {
    // A node that imports nothing never remembers an id: spare every emit hashing its id.
    return this.ids.size === 0 ? undefined : this.ids.get(id);
  }

  remember(id: string, dispatched: Promise<void>): void {
    if (this.capacity === 0) return;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.ids.set(id, dispatched);
  }

  /** The dispatch of a remembered `id` is now `dispatched` (it was remembered before it began). */
  replace(id: string, dispatched: Promise<void>): void {
    if (this.ids.has(id)) this.ids.set(id, dispatched);
  }

  /**
   * The dispatch of `id` has settled: the id stays, its promise goes (and what its reactions held).
   * Kept for the whole window, 10,000 promises of settled dispatches survived every scavenge.
   */
  settled(id: string): void {
    if (this.ids.get(id) !== undefined) this.ids.set(id, SETTLED);
  }

  /** Forgets `id` (its ring slot is reused in turn; deleting an absent key then is harmless). */
  forget(id: string): void {
    this.ids.delete(id);
  }
}
