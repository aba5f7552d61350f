/**
 * TopicTrie (src/pattern/trie.ts) on small alphabets: matches what the grammar says, in
 * subscription order, with and without its cache; forgets removed entries keeping the order of
 * the rest; merges the lists of the exact, prefix, below and star paths of one topic.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesSegments, parsePattern } from "../../src/pattern/grammar.js";
import { TopicTrie } from "../../src/pattern/trie.js";

interface Entry {
  seq: number;
  pattern: string;
}

const word = fc.constantFrom("a", "b", "ab", "abc", "task", "ta");
const topicArb = fc.array(word, { minLength: 1, maxLength: 4 }).map((s) => s.join("."));
const patternArb = fc
  .tuple(
    fc.array(fc.oneof(word, fc.constant("*")), { minLength: 0, maxLength: 3 }),
    fc.oneof(
      word,
      fc.constant("*"),
      word.map((w) => `${w}*`),
    ),
  )
  .map(([head, last]) => [...head, last].join("."));

/** What a linear scan of the grammar says `topic` matches, in subscription order. */
function expected(entries: readonly Entry[], topic: string): number[] {
  const segments = topic.split(".");
  return entries.filter((e) => matchesSegments(parsePattern(e.pattern), segments)).map((e) => e.seq);
}

describe("TopicTrie", () => {
  it("matches exactly what the grammar says, in subscription order, with and without its cache", () => {
    fc.assert(
      fc.property(
        fc.array(patternArb, { minLength: 1, maxLength: 40 }),
        fc.array(topicArb, { minLength: 1, maxLength: 20 }),
        (patterns, topics) => {
          const trie = new TopicTrie<Entry>();
          const entries = patterns.map((pattern, seq) => ({ seq, pattern }));
          for (const e of entries) trie.add(parsePattern(e.pattern), e);
          for (const topic of topics) {
            const want = expected(entries, topic);
            expect(trie.matchUncached(topic).map((e) => e.seq)).toEqual(want);
            expect(trie.match(topic).map((e) => e.seq)).toEqual(want);
            expect(trie.match(topic).map((e) => e.seq)).toEqual(want);
          }
        },
      ),
    );
  });

  it("forgets removed entries and keeps the order of the rest", () => {
    fc.assert(
      fc.property(
        fc.array(patternArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.array(topicArb, { minLength: 1, maxLength: 20 }),
        (patterns, drop, topics) => {
          const trie = new TopicTrie<Entry>();
          const entries = patterns.map((pattern, seq) => ({ seq, pattern }));
          for (const e of entries) trie.add(parsePattern(e.pattern), e);
          for (const topic of topics) trie.match(topic); // fill the cache: remove must clear it
          const kept = entries.filter((e, i) => !drop[i] || !trie.remove(parsePattern(e.pattern), e));
          expect(trie.size).toBe(kept.length);
          for (const topic of topics) {
            expect(trie.match(topic).map((e) => e.seq)).toEqual(expected(kept, topic));
          }
        },
      ),
    );
  });

  it("merges many lists: a topic matched through exact, prefix, below and star paths at once", () => {
    const trie = new TopicTrie<Entry>();
    const patterns = ["*", "a.*", "a.b.*", "a*", "a.b*", "*.b.c", "a.*.c", "a.b.c", "*.*.c", "ab*", "a.b.c", "a.*"];
    const entries = patterns.map((pattern, seq) => ({ seq, pattern }));
    // Added out of order: the result must follow seq, not insertion order.
    for (const e of [...entries].reverse()) trie.add(parsePattern(e.pattern), e);
    expect(trie.matchUncached("a.b.c").map((e) => e.pattern)).toEqual(patterns.filter((p) => p !== "ab*"));
    // Past the small-merge threshold: 40 more subscriptions on two patterns.
    const many = Array.from({ length: 40 }, (_, i) => ({ seq: 100 + i, pattern: i % 2 === 0 ? "a.*" : "*.b.c" }));
    for (const e of many) trie.add(parsePattern(e.pattern), e);
    const seqs = trie.matchUncached("a.b.c").map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(seqs).toHaveLength(11 + 40);
  });
});
