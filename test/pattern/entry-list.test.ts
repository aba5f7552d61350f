/**
 * EntryList (src/pattern/entry-list.ts) against a plain array under random adds and removes:
 * removals are noted and compacted later, so every read (entries, seqs, length) must show what a
 * list that spliced at once would show, with shared seqs and one object added twice included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EntryList } from "../../src/pattern/entry-list.js";

interface Entry {
  readonly seq: number;
  readonly id: number;
}

type Op = { kind: "add"; seq: number; reuse: number | null } | { kind: "remove"; pick: number } | { kind: "read" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      seq: fc.integer({ min: 0, max: 40 }),
      reuse: fc.option(fc.nat(), { nil: null }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("read" as const) }) },
);

/** What a list that inserts in seq order (after equal seqs) and splices out at once holds. */
function modelAdd(model: Entry[], entry: Entry): void {
  let i = model.length;
  while (i > 0 && model[i - 1]!.seq > entry.seq) i--;
  model.splice(i, 0, entry);
}

describe("EntryList", () => {
  it("reads like a list that splices at once, under random adds, removes and reads", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const list = EntryList.of<Entry>([]);
        const model: Entry[] = [];
        const made: Entry[] = [];
        for (const op of ops) {
          if (op.kind === "add") {
            // Sometimes the same object again (the trie's own callers never do; a user of TopicTrie may).
            const entry =
              op.reuse !== null && made.length > 0 ? made[op.reuse % made.length]! : { seq: op.seq, id: made.length };
            made.push(entry);
            list.add(entry);
            modelAdd(model, entry);
          } else if (op.kind === "remove") {
            const entry = made.length === 0 ? { seq: 0, id: -1 } : made[op.pick % made.length]!;
            const at = model.indexOf(entry);
            expect(list.remove(entry)).toBe(at >= 0);
            if (at >= 0) model.splice(at, 1);
          }
          expect(list.length).toBe(model.length);
          if (op.kind === "read") {
            expect(list.entries).toEqual(model);
            expect([...list.seqs.subarray(0, list.length)]).toEqual(model.map((e) => e.seq));
          }
        }
        expect(list.entries).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it("removes an entry whose neighbour's seq does not sort (NaN), or whose own seq changed", () => {
    const list = EntryList.of<{ seq: number }>([]);
    const a = { seq: 0 };
    const odd = { seq: NaN };
    const c = { seq: 2 };
    for (const e of [a, odd, c]) list.add(e);
    expect(list.remove(c)).toBe(true);
    const moved = { seq: 5 };
    list.add(moved);
    (moved as { seq: number }).seq = 1;
    expect(list.remove(moved)).toBe(true);
    expect(list.entries).toEqual([a, odd]);
  });

  it("removes 100,000 entries added in order, oldest first, and is empty after", () => {
    const entries = Array.from({ length: 100_000 }, (_, seq) => ({ seq }));
    const list = EntryList.of<{ seq: number }>([]);
    for (const e of entries) list.add(e);
    for (const e of entries) expect(list.remove(e)).toBe(true);
    expect(list.length).toBe(0);
    expect(list.entries).toEqual([]);
    expect(list.remove(entries[0]!)).toBe(false);
  });
});
