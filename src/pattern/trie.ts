/**
 * TopicTrie: subscription patterns indexed by segment, so matching a topic costs a walk of the
 * topic's depth, not a scan of every subscription.
 *
 *   patterns: task.completed  task.*  ta*  *.failed  *
 *
 *   root ── prefixes { "": [*],  "ta": [ta*] }
 *    ├─ "task" ── exact: []      prefixes { "": [task.*] }
 *    │    └─ "completed" ── exact: [task.completed]
 *    └─ STAR ── "failed" ── exact: [*.failed]
 *
 * A topic `t0.t1...tk` walks from the root. At depth i, a node holds three kinds of entry:
 *   - `exact`: patterns that end here, matched only when the topic ends here (i = k+1);
 *   - `prefixes`: patterns whose last segment is `p*`, matched when segment i starts with p;
 *     looked up by the distinct prefix lengths present, so cost grows with the number of
 *     distinct prefix lengths at that node, not the number of patterns;
 *   - children by literal segment, and one `star` child for a whole-segment `*`.
 * At most two children are followed per depth (literal and star), so the walk visits at most
 * 2^depth nodes in the worst case of `*` at every level, and far fewer in practice.
 *
 * Matches are returned in subscription order (`seq`), whatever pattern they came through.
 * Results are cached per topic in a bounded map that any add or remove clears. Entry lists change
 * in place (an append is O(1): copy-on-write made N subscriptions to one pattern cost O(N^2));
 * `match` hands out a copy, made once per topic and then cached, so a list handed out is never
 * changed afterwards and a dispatch that is iterating one is not disturbed by a subscribe or
 * unsubscribe made by a handler.
 */
import { STAR, type ParsedPattern } from "./grammar.js";

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

class TrieNode<T extends TrieEntry> {
  readonly kind = "node";
  children: Map<string, TrieNode<T>> | null = null;
  star: TrieNode<T> | null = null;
  exact: T[] | null = null;
  prefixes: Map<string, T[]> | null = null;
  /** Distinct lengths of the keys of `prefixes`, ascending. */
  prefixLengths: number[] = [];

  isEmpty(): boolean {
    return this.children === null && this.star === null && this.exact === null && this.prefixes === null;
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Options of a TopicTrie.
 *
 * @example
 * ```ts
 * const trie = new TopicTrie<{ seq: number }>({ cacheSize: 4096 });
 * ```
 */
export interface TopicTrieOptions {
  /** Topics whose match lists are cached at most; 0 disables the cache. Default 4096. */
  cacheSize?: number;
}

/**
 * The trie that indexes subscription patterns: `match(topic)` returns the entries whose pattern matches, in `seq` order (cached per topic).
 *
 * @example
 * ```ts
 * const trie = new TopicTrie<{ seq: number }>();
 * trie.add(parsePattern("task.*"), { seq: 0 });
 * trie.match("task.completed"); // [{ seq: 0 }]
 * ```
 */
export class TopicTrie<T extends TrieEntry> {
  private readonly root = new TrieNode<T>();
  private readonly cache = new Map<string, readonly T[]>();
  private readonly cacheSize: number;
  private count = 0;

  constructor(options: TopicTrieOptions = {}) {
    this.cacheSize = options.cacheSize ?? 4096;
  }

  /** Number of entries held. */
  get size(): number {
    return this.count;
  }

  /** Number of topics whose match lists are cached now. */
  get cachedTopics(): number {
    return this.cache.size;
  }

  add(pattern: ParsedPattern, entry: T): void {
    let node = this.root;
    for (const segment of pattern.segments) node = child(node, segment, true)!;
    if (pattern.prefix === null) {
      if (node.exact === null) node.exact = [entry];
      else insertBySeq(node.exact, entry);
    } else {
      node.prefixes ??= new Map();
      const list = node.prefixes.get(pattern.prefix);
      if (list === undefined) {
        node.prefixes.set(pattern.prefix, [entry]);
        addLength(node.prefixLengths, pattern.prefix.length);
      } else {
        insertBySeq(list, entry);
      }
    }
    this.count++;
    this.cache.clear();
  }

  /** Removes `entry` from `pattern`; prunes nodes left empty. Returns whether it was there. */
  remove(pattern: ParsedPattern, entry: T): boolean {
    const path: TrieNode<T>[] = [this.root];
    let node: TrieNode<T> | undefined = this.root;
    for (const segment of pattern.segments) {
      node = child(node, segment, false);
      if (node === undefined) return false;
      path.push(node);
    }
    if (pattern.prefix === null) {
      if (node.exact === null || !removeFrom(node.exact, entry)) return false;
      if (node.exact.length === 0) node.exact = null;
    } else {
      const list = node.prefixes?.get(pattern.prefix);
      if (list === undefined || !removeFrom(list, entry)) return false;
      if (list.length === 0) {
        node.prefixes!.delete(pattern.prefix);
        if (![...node.prefixes!.keys()].some((k) => k.length === pattern.prefix!.length)) {
          node.prefixLengths = node.prefixLengths.filter((n) => n !== pattern.prefix!.length);
        }
        if (node.prefixes!.size === 0) node.prefixes = null;
      }
    }
    this.count--;
    this.cache.clear();
    // Prune from the leaf up: an emptied node is unlinked from its parent.
    for (let depth = path.length - 1; depth > 0; depth--) {
      const current = path[depth]!;
      if (!current.isEmpty()) break;
      const parent = path[depth - 1]!;
      const segment = pattern.segments[depth - 1]!;
      if (segment === STAR) parent.star = null;
      else {
        parent.children!.delete(segment);
        if (parent.children!.size === 0) parent.children = null;
      }
    }
    return true;
  }

  /**
   * Every entry whose pattern matches `topic`, in `seq` order. The returned array is shared with
   * the cache: callers must not mutate it.
   */
  match(topic: string): readonly T[] {
    const cached = this.cache.get(topic);
    if (cached !== undefined) return cached;
    const found = this.matchUncached(topic);
    if (this.cacheSize > 0) {
      // FIFO eviction: the oldest inserted topic goes first. Unique topics cannot grow it.
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(topic, found);
    }
    return found;
  }

  /** `match` without the cache (for benchmarks and tests of the walk itself). */
  matchUncached(topic: string): readonly T[] {
    const lists: (readonly T[])[] = [];
    walk(this.root, topic.split("."), 0, lists);
    if (lists.length === 0) return EMPTY;
    // Node lists change in place: hand out a copy, which callers and the cache may keep.
    if (lists.length === 1) return lists[0]!.slice();
    const merged = lists.flat();
    merged.sort(bySeq);
    return merged;
  }

  /** Drops every cached match list (the trie itself is unchanged). */
  clearCache(): void {
    this.cache.clear();
  }
}

function walk<T extends TrieEntry>(node: TrieNode<T>, topic: readonly string[], depth: number, out: (readonly T[])[]): void {
  if (depth === topic.length) {
    if (node.exact !== null) out.push(node.exact);
    return;
  }
  const segment = topic[depth]!;
  if (node.prefixes !== null) {
    for (const length of node.prefixLengths) {
      if (length > segment.length) break;
      const list = node.prefixes.get(length === segment.length ? segment : segment.slice(0, length));
      if (list !== undefined) out.push(list);
    }
  }
  if (node.children !== null) {
    const next = node.children.get(segment);
    if (next !== undefined) walk(next, topic, depth + 1, out);
  }
  if (node.star !== null) walk(node.star, topic, depth + 1, out);
}

function child<T extends TrieEntry>(node: TrieNode<T>, segment: string, create: boolean): TrieNode<T> | undefined {
  if (segment === STAR) {
    if (node.star === null && create) node.star = new TrieNode<T>();
    return node.star ?? undefined;
  }
  let next = node.children?.get(segment);
  if (next === undefined && create) {
    next = new TrieNode<T>();
    (node.children ??= new Map()).set(segment, next);
  }
  return next;
}

function bySeq(a: TrieEntry, b: TrieEntry): number {
  return a.seq - b.seq;
}

/** Inserts `entry` into `list` in seq order (almost always an append). */
function insertBySeq<T extends TrieEntry>(list: T[], entry: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.seq > entry.seq) i--;
  if (i === list.length) list.push(entry);
  else list.splice(i, 0, entry);
}

/** Removes `entry` from `list`; returns whether it was there. */
function removeFrom<T>(list: T[], entry: T): boolean {
  const i = list.indexOf(entry);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function addLength(lengths: number[], length: number): void {
  if (lengths.includes(length)) return;
  lengths.push(length);
  lengths.sort((a, b) => a - b);
}
