/**
 * TopicTrie against the reference matcher under random add/remove sequences, plus pruning: a
 * trie that had entries removed holds exactly the nodes of a trie built from what is left. The
 * nodes are counted from the outside, in heap snapshots of a child process running the built
 * trie (test/support/scripts/trie-nodes.mjs): the trie has no public node count, and this test
 * reads none of its private fields.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
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
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      pattern: patternArb,
      seq: fc.integer({ min: -1000, max: 1000 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeAbsent" as const), pattern: patternArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("check" as const), topic: topicArb }) },
);

const TRIE_NODES = fileURLToPath(new URL("../support/scripts/trie-nodes.mjs", import.meta.url));

/** An operation as the node-counting child replays it. */
type NodeOp = { op: "add"; pattern: string; seq: number } | { op: "remove"; seq: number } | { op: "count" };

/** Runs test/support/scripts/trie-nodes.mjs with `job` on its stdin; resolves with what it prints. */
function countNodesInChild<T>(
  job: { kind: "steps"; ops: NodeOp[] } | { kind: "prune"; cases: NodeOp[][] },
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TRIE_NODES], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(stdout) as T) : reject(new Error(`trie-nodes.mjs exited ${code}: ${stderr}`)),
    );
    child.stdin.end(JSON.stringify(job));
  });
}

function expected(entries: readonly Entry[], topic: string): Entry[] {
  return entries.filter((e) => referenceMatches(e.pattern, topic)).sort((a, b) => a.seq - b.seq);
}

const FIXED_TOPICS = [
  "a",
  "ab",
  "ta",
  "task",
  "tab",
  "a.b",
  "task.a",
  "ta.b.c",
  "é.事件",
  "__proto__",
  "constructor.a",
  "a.b.ab.task.tab",
];

describe("TopicTrie vs the reference matcher", () => {
  it("agree on random patterns and topics under random add/remove sequences", async () => {
    const runs: NodeOp[][] = [];
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), fc.boolean(), (ops, cached) => {
        const trie = new TopicTrie<Entry>(cached ? {} : { cacheSize: 0 });
        const applied: NodeOp[] = [];
        runs.push(applied);
        let entries: Entry[] = [];
        const seqs = new Set<number>();
        for (const op of ops) {
          if (op.kind === "add") {
            if (seqs.has(op.seq)) continue; // seq is unique per entry, as in the bus
            seqs.add(op.seq);
            const entry = { seq: op.seq, pattern: op.pattern, parsed: parsePattern(op.pattern) };
            trie.add(entry.parsed, entry);
            entries.push(entry);
            applied.push({ op: "add", pattern: op.pattern, seq: op.seq });
          } else if (op.kind === "remove") {
            if (entries.length === 0) continue;
            const entry = entries[op.pick % entries.length]!;
            expect(trie.remove(entry.parsed, entry)).toBe(true);
            expect(trie.remove(entry.parsed, entry)).toBe(false); // already gone
            entries = entries.filter((e) => e !== entry);
            applied.push({ op: "remove", seq: entry.seq });
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
        // Remove the rest: empty, matching nothing (its nodes are counted below).
        for (const e of entries) expect(trie.remove(e.parsed, e)).toBe(true);
        expect(trie.size).toBe(0);
        for (const topic of FIXED_TOPICS) expect(trie.match(topic)).toEqual([]);
      }),
      { numRuns: 300 },
    );
    // Pruned: every run's trie, replayed in the child, holds the nodes of a trie built from the
    // entries left. A pruned trie never holds fewer nodes than the fresh one, so equal totals mean
    // equal counts run by run. And a trie emptied by removals is back to a lone root.
    const nodes = await countNodesInChild<{ pruned: number; fresh: number; emptied: number; tries: number }>({
      kind: "prune",
      cases: runs,
    });
    expect(nodes.tries).toBe(runs.length);
    expect(nodes.fresh).toBeGreaterThanOrEqual(runs.length); // counting works: at least a root per trie
    expect(nodes.pruned).toBe(nodes.fresh);
    expect(nodes.emptied).toBe(runs.length);
  });

  it("prunes the nodes of the last subscription of a pattern, and keeps shared ones", async () => {
    const trie = new TopicTrie<Entry>();
    const make = (seq: number, pattern: string): Entry => ({ seq, pattern, parsed: parsePattern(pattern) });
    const deep = make(0, "a.b.c.d");
    const sibling = make(1, "a.b.x");
    const starry = make(2, "a.*.c.*");
    const twin = make(3, "a.b.c.d");
    for (const e of [deep, sibling, starry, twin]) trie.add(e.parsed, e);
    expect(trie.remove(deep.parsed, deep)).toBe(true);
    expect(trie.match("a.b.c.d")).toEqual([starry, twin]);
    expect(trie.remove(twin.parsed, twin)).toBe(true);
    expect(trie.match("a.b.c.d")).toEqual([starry]);
    expect(trie.match("a.b.x")).toEqual([sibling]);
    expect(trie.match("a.b.c.e")).toEqual([starry]);
    expect(trie.remove(starry.parsed, starry)).toBe(true);
    expect(trie.remove(sibling.parsed, sibling)).toBe(true);
    // The same steps replayed in the child, counting the nodes after each.
    const add = (e: Entry): NodeOp => ({ op: "add", pattern: e.pattern, seq: e.seq });
    const remove = (e: Entry): NodeOp => ({ op: "remove", seq: e.seq });
    const count: NodeOp = { op: "count" };
    const { counts } = await countNodesInChild<{ counts: number[] }>({
      kind: "steps",
      ops: [
        ...[deep, sibling, starry, twin].map(add),
        count,
        remove(deep),
        count,
        remove(twin),
        count,
        remove(starry),
        remove(sibling),
        count,
      ],
    });
    // 8 nodes: the root, a, b, c, d, x, and a.*.c.*'s * and c (its last * is a prefix, not a node).
    // Removing deep keeps them all (twin still holds a.b.c.d); removing twin takes c and d (a and b
    // stay for a.b.x); removing the rest leaves the lone root.
    expect(counts).toEqual([8, 8, 6, 1]);
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
