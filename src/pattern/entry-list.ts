/**
 * EntryList: a list of trie entries in `seq` order, with the seqs copied into a Float64Array
 * beside it.
 *
 * Matching a topic collects a few such lists from the trie and merges them into one list in
 * subscription order. A merge that reads `entry.seq` touches every entry object (scattered over
 * the heap: at 10,000 patterns that is most of the cost); reading the packed seqs does not. And
 * the lists are lopsided (in the `matcher` bench scenario's 10,000 mixed patterns, the biggest
 * list holds most of a topic's matches), so the merge binary-searches the few small entries
 * into the big list and copies the big list's runs between them without comparing them.
 *
 * Lists change in place (an append is amortised O(1); copy-on-write made N subscriptions to one
 * pattern cost O(N^2)). So nothing a list holds is ever handed out: `TopicTrie.match` returns a
 * fresh array (a copy or a merge), which the cache then keeps, and a dispatch iterating it is not
 * disturbed by a subscribe or unsubscribe made by a handler.
 *
 * A removal is found by binary search on the seqs and only noted; the list is compacted once, at
 * the next read, insertion before its end, or when half of it is removed. One emit that settles N `once` subscriptions or
 * waitFors of one pattern removes N entries: spliced one by one, that was O(N^2) (80,000 took
 * seconds).
 */
/**
 * What a TopicTrie stores: anything with a `seq`, the order `match` returns entries in.
 *
 * @example
 * ```ts
 * const entry: TrieEntry & { name: string } = { seq: 0, name: "audit" };
 * ```
 */
export interface TrieEntry {
  /** Subscription order: entries are returned sorted by it. */
  readonly seq: number;
}

export class EntryList<T extends TrieEntry> {
  private list: T[];
  /** `packed[i]` is `list[i].seq`; its capacity may exceed `list.length`. */
  private packed: Float64Array;
  /**
   * Indices in `list` of entries removed but not yet dropped (compact() drops them); null when
   * there are none. Indices stay valid until then: only an append changes `list` meanwhile.
   */
  private removed: Set<number> | null = null;

  constructor(entries: T[], seqs?: Float64Array) {
    this.list = entries;
    this.packed = seqs ?? Float64Array.from(entries, (e) => e.seq);
  }

  static of<T extends TrieEntry>(entries: T[]): EntryList<T> {
    return new EntryList(entries);
  }

  /** The entries in seq order (not to be changed, nor handed out: see the top of this file). */
  get entries(): T[] {
    if (this.removed !== null) this.compact();
    return this.list;
  }

  /** `seqs[i]` is `entries[i].seq`; its capacity may exceed `entries.length`. */
  get seqs(): Float64Array {
    if (this.removed !== null) this.compact();
    return this.packed;
  }

  get length(): number {
    return this.list.length - (this.removed?.size ?? 0);
  }

  /** Inserts `entry` in seq order (almost always an append). */
  add(entry: T): void {
    const last = this.list.length - 1;
    if (this.removed !== null && last >= 0 && this.packed[last]! > entry.seq) this.compact();
    const n = this.list.length;
    if (n === this.packed.length) {
      const grown = new Float64Array(Math.max(4, n * 2));
      grown.set(this.packed);
      this.packed = grown;
    }
    let i = n;
    while (i > 0 && this.packed[i - 1]! > entry.seq) i--;
    if (i === n) this.list.push(entry);
    else {
      this.list.splice(i, 0, entry);
      this.packed.copyWithin(i + 1, i, n);
    }
    this.packed[i] = entry.seq;
  }

  /** Removes `entry` (found by its seq); false when it is not there. */
  remove(entry: T): boolean {
    const i = this.find(entry);
    if (i < 0) return false;
    (this.removed ??= new Set()).add(i);
    // Subscriptions that come and go with no read between would otherwise pile up: compacting
    // once half the list is removed keeps it bounded, at O(1) amortised per removal.
    if (this.removed.size * 2 > this.list.length) this.compact();
    return true;
  }

  /** The index of `entry` in `list`, not removed already, or -1. */
  private find(entry: T): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.packed[mid]! < entry.seq) lo = mid + 1;
      else hi = mid;
    }
    // Entries may share a seq (the bus's do not), and one object may be in a list twice.
    for (let i = lo; i < this.list.length && this.packed[i] === entry.seq; i++)
      if (this.list[i] === entry && this.removed?.has(i) !== true) return i;
    // A seq that does not sort (NaN), or changed since the entry was added (TopicTrie's own
    // users may do either): look at every entry, as a plain indexOf would.
    for (let i = 0; i < this.list.length; i++) if (this.list[i] === entry && this.removed?.has(i) !== true) return i;
    return -1;
  }

  /**
   * Drops the removed entries. One (an unsubscribe between two emits) is a splice, a native move;
   * more, the runs between them move down in one pass. (Array.prototype.copyWithin is no faster
   * than that loop in V8; a typed array's is a native move.)
   */
  private compact(): void {
    const removed = [...this.removed!];
    this.removed = null;
    const n = this.list.length;
    if (removed.length === 1) {
      const i = removed[0]!;
      this.list.splice(i, 1);
      this.packed.copyWithin(i, i + 1, n);
      return;
    }
    removed.sort((a, b) => a - b);
    const list = this.list;
    let to = removed[0]!;
    for (let r = 0; r < removed.length; r++) {
      const start = removed[r]! + 1;
      const end = r + 1 < removed.length ? removed[r + 1]! : n;
      if (end <= start) continue;
      this.packed.copyWithin(to, start, end);
      for (let i = start; i < end; i++) list[to++] = list[i]!;
    }
    list.length = to;
  }
}

/** Below this many matches in all, an insertion sort beats building merged EntryLists. */
const SMALL_MERGE = 16;

/** The entries of every list, merged in seq order. `lists` holds at least two lists. */
export function mergeLists<T extends TrieEntry>(lists: readonly EntryList<T>[]): T[] {
  let total = 0;
  for (let i = 0; i < lists.length; i++) total += lists[i]!.length;
  if (total <= SMALL_MERGE) return insertionMerge(lists, total);
  let big = 0;
  for (let i = 1; i < lists.length; i++) if (lists[i]!.length > lists[big]!.length) big = i;
  let small: EntryList<T> | null = null;
  for (let i = 0; i < lists.length; i++) {
    if (i !== big) small = small === null ? lists[i]! : mergeTwo(small, lists[i]!);
  }
  return mergeInto(lists[big]!, small!);
}

/** Two lists merged element by element (used for the small lists). */
function mergeTwo<T extends TrieEntry>(a: EntryList<T>, b: EntryList<T>): EntryList<T> {
  const ae = a.entries;
  const be = b.entries;
  const as = a.seqs;
  const bs = b.seqs;
  const aLength = ae.length;
  const bLength = be.length;
  const n = aLength + bLength;
  const entries = new Array<T>(n);
  const seqs = new Float64Array(n);
  let i = 0;
  let j = 0;
  for (let o = 0; o < n; o++) {
    if (j >= bLength || (i < aLength && as[i]! <= bs[j]!)) {
      entries[o] = ae[i]!;
      seqs[o] = as[i++]!;
    } else {
      entries[o] = be[j]!;
      seqs[o] = bs[j++]!;
    }
  }
  return new EntryList(entries, seqs);
}

/** `small`'s entries binary-searched into `big`; big's runs between them are copied as they are. */
function mergeInto<T extends TrieEntry>(big: EntryList<T>, small: EntryList<T>): T[] {
  const bigEntries = big.entries;
  const bigSeqs = big.seqs;
  const smallEntries = small.entries;
  const smallSeqs = small.seqs;
  const out = new Array<T>(bigEntries.length + smallEntries.length);
  let o = 0;
  let from = 0;
  for (let s = 0; s < smallEntries.length; s++) {
    const seq = smallSeqs[s]!;
    // First index at or after `from` whose seq is above `seq`.
    let lo = from;
    let hi = bigEntries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bigSeqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    while (from < lo) out[o++] = bigEntries[from++]!;
    out[o++] = smallEntries[s]!;
  }
  while (from < bigEntries.length) out[o++] = bigEntries[from++]!;
  return out;
}

/** All entries gathered, then insertion-sorted by seq: no allocation beyond the result. */
function insertionMerge<T extends TrieEntry>(lists: readonly EntryList<T>[], total: number): T[] {
  const out = new Array<T>(total);
  const seqs = SCRATCH_SEQS;
  let n = 0;
  for (let l = 0; l < lists.length; l++) {
    const entries = lists[l]!.entries;
    const listSeqs = lists[l]!.seqs;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const seq = listSeqs[i]!;
      let j = n++;
      while (j > 0 && seqs[j - 1]! > seq) {
        out[j] = out[j - 1]!;
        seqs[j] = seqs[j - 1]!;
        j--;
      }
      out[j] = entry;
      seqs[j] = seq;
    }
  }
  return out;
}
const SCRATCH_SEQS = new Float64Array(SMALL_MERGE);
