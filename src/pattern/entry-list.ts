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
  /** `seqs[i]` is `entries[i].seq`; its capacity may exceed `entries.length`. */
  seqs: Float64Array;

  constructor(
    readonly entries: T[],
    seqs?: Float64Array,
  ) {
    this.seqs = seqs ?? Float64Array.from(entries, (e) => e.seq);
  }

  static of<T extends TrieEntry>(entries: T[]): EntryList<T> {
    return new EntryList(entries);
  }

  get length(): number {
    return this.entries.length;
  }

  /** Inserts `entry` in seq order (almost always an append). */
  add(entry: T): void {
    const n = this.entries.length;
    if (n === this.seqs.length) {
      const grown = new Float64Array(Math.max(4, n * 2));
      grown.set(this.seqs);
      this.seqs = grown;
    }
    let i = n;
    while (i > 0 && this.seqs[i - 1]! > entry.seq) i--;
    if (i === n) this.entries.push(entry);
    else {
      this.entries.splice(i, 0, entry);
      this.seqs.copyWithin(i + 1, i, n);
    }
    this.seqs[i] = entry.seq;
  }

  /** Removes `entry`; false when it is not there. */
  remove(entry: T): boolean {
    const i = this.entries.indexOf(entry);
    if (i < 0) return false;
    const n = this.entries.length;
    this.entries.splice(i, 1);
    this.seqs.copyWithin(i, i + 1, n);
    return true;
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
  const n = a.length + b.length;
  const entries = new Array<T>(n);
  const seqs = new Float64Array(n);
  const as = a.seqs;
  const bs = b.seqs;
  const aLength = a.length;
  const bLength = b.length;
  let i = 0;
  let j = 0;
  for (let o = 0; o < n; o++) {
    if (j >= bLength || (i < aLength && as[i]! <= bs[j]!)) {
      entries[o] = a.entries[i]!;
      seqs[o] = as[i++]!;
    } else {
      entries[o] = b.entries[j]!;
      seqs[o] = bs[j++]!;
    }
  }
  return new EntryList(entries, seqs);
}

/** `small`'s entries binary-searched into `big`; big's runs between them are copied as they are. */
function mergeInto<T extends TrieEntry>(big: EntryList<T>, small: EntryList<T>): T[] {
  const bigEntries = big.entries;
  const bigSeqs = big.seqs;
  const out = new Array<T>(bigEntries.length + small.length);
  let o = 0;
  let from = 0;
  for (let s = 0; s < small.length; s++) {
    const seq = small.seqs[s]!;
    // First index at or after `from` whose seq is above `seq`.
    let lo = from;
    let hi = bigEntries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bigSeqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    while (from < lo) out[o++] = bigEntries[from++]!;
    out[o++] = small.entries[s]!;
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
    const list = lists[l]!;
    for (let i = 0; i < list.length; i++) {
      const entry = list.entries[i]!;
      const seq = list.seqs[i]!;
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
