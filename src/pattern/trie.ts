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
 * Matches are returned in subscription order (`seq`), whatever pattern they came through: every
 * list in a node is an EntryList kept in seq order, and the few lists a walk collects are merged
 * (entry-list.ts). Results are cached per topic in a bounded map that any add or remove clears.
 * Entry lists change in place, so `match` never hands one out: it returns a copy or a merge (made
 * once per topic, then cached), which is never changed afterwards, so a dispatch that is
 * iterating it is not disturbed by a subscribe or unsubscribe made by a handler.
 */
import { EntryList, mergeLists, type TrieEntry } from "./entry-list.js";
import { STAR, type ParsedPattern } from "./grammar.js";

export type { TrieEntry } from "./entry-list.js";

class TrieNode<T extends TrieEntry> {
  children: Map<string, TrieNode<T>> | null = null;
  star: TrieNode<T> | null = null;
  exact: EntryList<T> | null = null;
  prefixes: Map<string, EntryList<T>> | null = null;
  /** Distinct lengths of the keys of `prefixes`, ascending. */
  prefixLengths: number[] = [];
  /**
   * `prefixes.get("")`, the patterns `<path>.*` (every topic below this node), the most common
   * prefix by far: kept in a field so the walk skips a Map lookup for it.
   */
  below: EntryList<T> | null = null;

  syncBelow(): void {
    this.below = this.prefixes?.get("") ?? null;
  }

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
 * The trie that indexes subscription patterns: `match(topic)` returns the entries whose pattern
 * matches, in `seq` order (cached per topic).
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
      if (node.exact === null) node.exact = EntryList.of([entry]);
      else node.exact.add(entry);
    } else {
      node.prefixes ??= new Map();
      const list = node.prefixes.get(pattern.prefix);
      if (list === undefined) {
        node.prefixes.set(pattern.prefix, EntryList.of([entry]));
        addLength(node.prefixLengths, pattern.prefix.length);
      } else {
        list.add(entry);
      }
      node.syncBelow();
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
      if (node.exact === null || !node.exact.remove(entry)) return false;
      if (node.exact.length === 0) node.exact = null;
    } else {
      const list = node.prefixes?.get(pattern.prefix);
      if (list === undefined || !list.remove(entry)) return false;
      if (list.length === 0) {
        node.prefixes!.delete(pattern.prefix);
        if (![...node.prefixes!.keys()].some((k) => k.length === pattern.prefix!.length)) {
          node.prefixLengths = node.prefixLengths.filter((n) => n !== pattern.prefix!.length);
        }
        if (node.prefixes!.size === 0) node.prefixes = null;
      }
      node.syncBelow();
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
      // Full: start over. Deleting a Map's oldest key one at a time is O(size) per eviction in V8
      // (deleted entries pile up at its front); a stream of unique topics cannot grow it either
      // way, and the types that repeat are cached again at once.
      if (this.cache.size >= this.cacheSize) this.cache.clear();
      this.cache.set(topic, found);
    }
    return found;
  }

  /** `match` without the cache (for benchmarks and tests of the walk itself). */
  matchUncached(topic: string): readonly T[] {
    const lists: EntryList<T>[] = [];
    walk(this.root, splitTopic(topic), 0, lists);
    if (lists.length === 0) return EMPTY;
    // Node lists change in place: hand out a copy, which callers and the cache may keep.
    if (lists.length === 1) return lists[0]!.entries.slice();
    return mergeLists(lists);
  }

  /** Drops every cached match list (the trie itself is unchanged). */
  clearCache(): void {
    this.cache.clear();
  }
}

/**
 * Follows literal children in a loop and recurses only into `*` children. The order in which
 * lists are collected does not matter: they are merged by seq afterwards.
 */
function walk<T extends TrieEntry>(
  node: TrieNode<T>,
  topic: readonly string[],
  depth: number,
  out: EntryList<T>[],
): void {
  for (;;) {
    if (depth === topic.length) {
      if (node.exact !== null) out.push(node.exact);
      return;
    }
    const segment = topic[depth]!;
    if (node.prefixes !== null) {
      if (node.below !== null) out.push(node.below);
      const lengths = node.prefixLengths;
      for (let i = node.below === null ? 0 : 1; i < lengths.length; i++) {
        const length = lengths[i]!;
        if (length > segment.length) break;
        const list = node.prefixes.get(length === segment.length ? segment : segment.slice(0, length));
        if (list !== undefined) out.push(list);
      }
    }
    if (node.star !== null) walk(node.star, topic, depth + 1, out);
    const next = node.children === null ? undefined : node.children.get(segment);
    if (next === undefined) return;
    node = next;
    depth++;
  }
}

/** `topic.split(".")`, written out: String.prototype.split costs twice as much on Node 20. */
function splitTopic(topic: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const dot = topic.indexOf(".", start);
    if (dot < 0) {
      out.push(start === 0 ? topic : topic.slice(start));
      return out;
    }
    out.push(topic.slice(start, dot));
    start = dot + 1;
  }
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

function addLength(lengths: number[], length: number): void {
  if (lengths.includes(length)) return;
  lengths.push(length);
  lengths.sort((a, b) => a - b);
}
