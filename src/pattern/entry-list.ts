/**
 * EntryList: an immutable list of trie entries in `seq` order, with the seqs copied into a
 * Float64Array beside it.
 *
 * Matching a topic collects a few such lists from the trie and merges them into one list in
 * subscription order. A merge that reads `entry.seq` touches every entry object (scattered over
 * the heap: at 10,000 patterns that is most of the cost); reading the packed seqs does not. And
 * the lists are lopsided (at 10,000 mixed patterns, the biggest list holds ~90% of a topic's
 * matches), so the merge binary-searches the few small entries into the big list and copies the
 * big list's runs between them without comparing them.
 *
 * Lists are copy-on-write: adding or removing an entry builds a new list, so a match result
 * handed out earlier never changes under a dispatch that is iterating it.
 */
export interface TrieEntry {
  /** Subscription order: entries are returned sorted by it. */
  readonly seq: number;
}

export class EntryList<T extends TrieEntry> {
  readonly kind = "entries";
  constructor(
    readonly entries: readonly T[],
    readonly seqs: Float64Array,
  ) {}

  static of<T extends TrieEntry>(entries: readonly T[]): EntryList<T> {
    const seqs = new Float64Array(entries.length);
    for (let i = 0; i < entries.length; i++) seqs[i] = entries[i]!.seq;
    return new EntryList(entries, seqs);
  }

  get length(): number {
    return this.entries.length;
  }

  /** A copy with `entry` inserted in seq order (almost always an append). */
  with(entry: T): EntryList<T> {
    let i = this.entries.length;
    while (i > 0 && this.seqs[i - 1]! > entry.seq) i--;
    return EntryList.of([...this.entries.slice(0, i), entry, ...this.entries.slice(i)]);
  }

  /** A copy without `entry`, or null when it is not there. */
  without(entry: T): EntryList<T> | null {
    const i = this.entries.indexOf(entry);
    if (i < 0) return null;
    return EntryList.of([...this.entries.slice(0, i), ...this.entries.slice(i + 1)]);
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
  let i = 0;
  let j = 0;
  for (let o = 0; o < n; o++) {
    if (j >= bs.length || (i < as.length && as[i]! <= bs[j]!)) {
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
    let hi = bigSeqs.length;
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
