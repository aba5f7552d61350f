/**
 * A first-in first-out queue over an array with a head index: push and shift are O(1), and the
 * consumed prefix is dropped once it is half the array (so a long backlog holds no references to
 * what left it).
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, without removing it. */
  peek(i = 0): T | undefined {
    return this.items[this.head + i];
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    this.compact();
    return item;
  }

  /** Removes and returns the `n` oldest items (fewer if there are fewer). */
  take(n: number): T[] {
    const end = Math.min(this.items.length, this.head + n);
    const taken = this.items.slice(this.head, end);
    this.items.fill(undefined as T, this.head, end);
    this.head = end;
    this.compact();
    return taken;
  }

  /** Removes everything. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
}
