/**
 * TopicTrie against the reference matcher under random add/remove sequences, plus pruning: a
 * trie that had entries removed holds exactly the nodes of a trie built from what is left.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TopicTrie, parsePattern, type ParsedPattern } from "../../src/index.js";
import { patternArb, topicArb } from "../support/arbitraries.js";
import { referenceMatches } from "../support/reference-matcher.js";

interface Entry {
  seq: number;
  pattern: string;
  parsed: ParsedPattern;
}

type Op =
  | { kind: "add"; pattern: string; seq: number }
  | { kind: "remove"; pick: number }
  | { kind: "removeAbsent"; pattern: string }
  | { kind: "check"; topic: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), pattern: patternArb, seq: fc.integer({ min: -1000, max: 1000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeAbsent" as const), pattern: patternArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("check" as const), topic: topicArb }) },
);

/**
 * Counts the trie's nodes. The trie has no public node count, so this reads its private
 * structure (root, children, star); it is the only test that does, to observe pruning.
 */
interface NodeShape {
  children: Map<string, NodeShape> | null;
  star: NodeShape | null;
}
function countNodes(trie: TopicTrie<Entry>): number {
  const root = (trie as unknown as { root: NodeShape }).root;
  expect(root, "TopicTrie's private root moved: update countNodes").toBeDefined();
  const count = (node: NodeShape): number => {
    let n = 1;
    for (const child of node.children?.values() ?? []) n += count(child);
    if (node.star !== null) n += count(node.star);
    return n;
  };
  return count(root);
}

function expected(entries: readonly Entry[], topic: string): Entry[] {
  return entries.filter((e) => referenceMatches(e.pattern, topic)).sort((a, b) => a.seq - b.seq);
}

const FIXED_TOPICS = ["a", "ab", "ta", "task", "tab", "a.b", "task.a", "ta.b.c", "é.事件", "__proto__", "constructor.a", "a.b.ab.task.tab"];

describe("TopicTrie vs the reference matcher", () => {
  it("agree on random patterns and topics under random add/remove sequences", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), fc.boolean(), (ops, cached) => {
        const trie = new TopicTrie<Entry>(cached ? {} : { cacheSize: 0 });
        let entries: Entry[] = [];
        const seqs = new Set<number>();
        for (const op of ops) {
          if (op.kind === "add") {
            if (seqs.has(op.seq)) continue; // seq is unique per entry, as in the bus
            seqs.add(op.seq);
            const entry = { seq: op.seq, pattern: op.pattern, parsed: parsePattern(op.pattern) };
            trie.add(entry.parsed, entry);
            entries.push(entry);
          } else if (op.kind === "remove") {
            if (entries.length === 0) continue;
            const entry = entries[op.pick % entries.length]!;
            expect(trie.remove(entry.parsed, entry)).toBe(true);
            expect(trie.remove(entry.parsed, entry)).toBe(false); // already gone
            entries = entries.filter((e) => e !== entry);
          } else if (op.kind === "removeAbsent") {
            // An entry never added, even with the pattern of one that was, is not removed.
            const stranger = { seq: 5000, pattern: op.pattern, parsed: parsePattern(op.pattern) };
            expect(trie.remove(stranger.parsed, stranger)).toBe(false);
          } else {
            const want = expected(entries, op.topic);
            expect(trie.match(op.topic)).toEqual(want);
            expect(trie.matchUncached(op.topic)).toEqual(want);
          }
          expect(trie.size).toBe(entries.length);
        }
        for (const topic of FIXED_TOPICS) expect(trie.match(topic)).toEqual(expected(entries, topic));
        // Pruned: the same nodes as a trie built from the entries that are left.
        const fresh = new TopicTrie<Entry>();
        for (const e of entries) fresh.add(e.parsed, e);
        expect(countNodes(trie)).toBe(countNodes(fresh));
        // Remove the rest: back to a lone root, matching nothing.
        for (const e of entries) expect(trie.remove(e.parsed, e)).toBe(true);
        expect(trie.size).toBe(0);
        expect(countNodes(trie)).toBe(1);
        for (const topic of FIXED_TOPICS) expect(trie.match(topic)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("prunes the nodes of the last subscription of a pattern, and keeps shared ones", () => {
    const trie = new TopicTrie<Entry>();
    const make = (seq: number, pattern: string): Entry => ({ seq, pattern, parsed: parsePattern(pattern) });
    const deep = make(0, "a.b.c.d");
    const sibling = make(1, "a.b.x");
    const starry = make(2, "a.*.c.*");
    const twin = make(3, "a.b.c.d");
    for (const e of [deep, sibling, starry, twin]) trie.add(e.parsed, e);
    const full = countNodes(trie);
    expect(trie.remove(deep.parsed, deep)).toBe(true);
    expect(countNodes(trie)).toBe(full); // twin still holds a.b.c.d
    expect(trie.match("a.b.c.d")).toEqual([starry, twin]);
    expect(trie.remove(twin.parsed, twin)).toBe(true);
    expect(countNodes(trie)).toBe(full - 2); // c and d go; a and b stay for a.b.x
    expect(trie.match("a.b.c.d")).toEqual([starry]);
    expect(trie.match("a.b.x")).toEqual([sibling]);
    expect(trie.match("a.b.c.e")).toEqual([starry]);
    expect(trie.remove(starry.parsed, starry)).toBe(true);
    expect(trie.remove(sibling.parsed, sibling)).toBe(true);
    expect(countNodes(trie)).toBe(1);
  });

  it("returns match lists that a later add or remove does not change (copy-on-write)", () => {
    const trie = new TopicTrie<Entry>();
    const a = { seq: 0, pattern: "task.*", parsed: parsePattern("task.*") };
    const b = { seq: 1, pattern: "task.completed", parsed: parsePattern("task.completed") };
    trie.add(a.parsed, a);
    const before = trie.match("task.completed");
    const snapshot = [...before];
    trie.add(b.parsed, b);
    trie.remove(a.parsed, a);
    expect(before).toEqual(snapshot);
    expect(trie.match("task.completed")).toEqual([b]);
  });

  it("evicts its cache instead of growing past cacheSize", () => {
    const trie = new TopicTrie<Entry>({ cacheSize: 8 });
    const e = { seq: 0, pattern: "*", parsed: parsePattern("*") };
    trie.add(e.parsed, e);
    for (let i = 0; i < 100; i++) expect(trie.match(`t${i}`)).toEqual([e]);
    expect(trie.cachedTopics).toBeLessThanOrEqual(8);
  });
});
