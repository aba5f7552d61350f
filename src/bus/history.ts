/**
 * A fixed-capacity ring buffer of the most recent events: O(1) per push, oldest overwritten. The
 * slots grow by push up to the capacity (a large `maxHistory` costs nothing until it fills), and
 * clear() drops them at once.
 *
 *   capacity 4, after pushing a b c d e:   slots [e b c d], head = 1 (the oldest)
 */
export class History<T> {
  private slots: T[] = [];
  /** Where the oldest item is once the slots are full (0 until then). */
  private head = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.slots.length;
  }

  push(item: T): void {
    const capacity = this.capacity;
    if (this.slots.length < capacity) {
      this.slots.push(item);
    } else if (capacity > 0) {
      this.slots[this.head] = item;
      this.head = this.head + 1 === capacity ? 0 : this.head + 1;
    }
  }

  /** Items oldest first, keeping those `keep` accepts. */
  toArray(keep?: (item: T) => boolean): T[] {
    const out: T[] = [];
    const n = this.slots.length;
    for (let i = 0; i < n; i++) {
      const item = this.slots[(this.head + i) % n]!;
      if (keep === undefined || keep(item)) out.push(item);
    }
    return out;
  }

  /**
   * The newest `limit` items `keep` accepts, oldest first: read from the newest back, so that
   * "the last 10" of a long history costs 10 reads (with a filter, as many as it takes).
   */
  last(limit: number, keep?: (item: T) => boolean): T[] {
    const out: T[] = [];
    const n = this.slots.length;
    for (let i = n - 1; i >= 0 && out.length < limit; i--) {
      const item = this.slots[(this.head + i) % n]!;
      if (keep === undefined || keep(item)) out.push(item);
    }
    return out.reverse();
  }

  clear(): void {
    this.slots = [];
    this.head = 0;
  }
}
