/**
 * A fixed-capacity ring buffer of the most recent events: O(1) per push, oldest overwritten.
 *
 *   capacity 4, after pushing a b c d e:   slots [e b c d], head = 1 (the oldest), size = 4
 */
export class History<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const capacity = this.capacity;
    if (capacity === 0) return;
    if (this.count < capacity) {
      this.slots[(this.head + this.count) % capacity] = item;
      this.count++;
    } else {
      this.slots[this.head] = item;
      this.head = this.head + 1 === capacity ? 0 : this.head + 1;
    }
  }

  /** Items oldest first, keeping those `keep` accepts. */
  toArray(keep?: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) {
      const item = this.slots[(this.head + i) % this.capacity] as T;
      if (keep === undefined || keep(item)) out.push(item);
    }
    return out;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
