/**
 * The bridge's dedupe window (src/transport/recent-ids.ts): ids in typed-array slots behind an
 * open-addressing index. Checked against a model (the last `capacity` remembered ids, less those
 * forgotten) over random operations: ids that share prefixes, ids longer than a slot, characters
 * past Latin-1, windows small enough to wrap often and large enough to grow.
 */
import { describe, expect, it } from "vitest";
import { RecentIds, SETTLED } from "../../src/transport/recent-ids.js";
import { rng, SEED } from "../support/random.js";

/**
 * What the window must answer: the ids of the last `capacity` remember() calls, less those
 * forgotten since (an id forgotten and remembered again holds its newer place).
 */
class Model {
  private readonly ring: { id: string; dispatched: Promise<void> }[] = [];
  private readonly held = new Map<string, { id: string; dispatched: Promise<void> }>();
  constructor(private readonly capacity: number) {}
  get(id: string): Promise<void> | undefined {
    return this.held.get(id)?.dispatched;
  }
  remember(id: string, dispatched: Promise<void>): void {
    if (this.capacity === 0) return;
    const entry = { id, dispatched };
    this.ring.push(entry);
    this.held.set(id, entry);
    if (this.ring.length > this.capacity) {
      const oldest = this.ring.shift()!;
      if (this.held.get(oldest.id) === oldest) this.held.delete(oldest.id);
    }
  }
  set(id: string, dispatched: Promise<void>): void {
    const entry = this.held.get(id);
    if (entry) entry.dispatched = dispatched;
  }
  forget(id: string): void {
    this.held.delete(id);
  }
}

function idPool(random: ReturnType<typeof rng>, count: number): string[] {
  const ids = new Set<string>();
  while (ids.size < count) {
    const kind = random.int(10);
    const base = random.pick(["", "job-", "job-1", "évènement-", "任务-"]);
    const tail = Array.from({ length: 1 + random.int(kind === 0 ? 60 : 24) }, () =>
      random.pick(["a", "b", "7", "_", "-", "é", "ß", "任", "\u{1F600}"]),
    ).join("");
    ids.add(base + tail);
  }
  return [...ids];
}

describe("RecentIds (the bridge's dedupe window)", () => {
  it("remembers the last `capacity` ids and forgets the oldest first", () => {
    const recent = new RecentIds(3);
    const done = Promise.resolve();
    for (const id of ["a", "b", "c", "d"]) recent.remember(id, done);
    expect(["a", "b", "c", "d"].map((id) => recent.get(id) !== undefined)).toEqual([false, true, true, true]);
    recent.forget("c");
    expect(recent.get("c")).toBeUndefined();
    const none = new RecentIds(0);
    none.remember("x", done);
    expect(none.get("x")).toBeUndefined();
  });

  it("keeps an id forgotten and remembered again until its new place comes round", () => {
    const recent = new RecentIds(3);
    recent.remember("a", SETTLED);
    recent.forget("a");
    recent.remember("b", SETTLED);
    recent.remember("a", SETTLED);
    // The ring comes round to a's first place: that must not drop the a remembered since.
    recent.remember("c", SETTLED);
    expect(recent.get("a")).toBe(SETTLED);
    expect(recent.get("b")).toBe(SETTLED);
    recent.remember("d", SETTLED);
    expect(recent.get("b")).toBeUndefined();
  });

  it("tells apart ids that share a prefix, differ in length, or are longer than a slot", () => {
    const recent = new RecentIds(10);
    const long = "x".repeat(36);
    const ids = ["", "job-1", "job-10", "job-1\u0000", long, `${long}y`, `${long}z`, "任务-1", "\u{1F600}"];
    const dispatches = ids.map(() => Promise.resolve());
    ids.forEach((id, i) => recent.remember(id, dispatches[i]!));
    ids.forEach((id, i) => expect(recent.get(id)).toBe(dispatches[i]));
    for (const absent of ["job-", "job-2", "job-100", long.slice(1), `${long}yy`, "任务-2", "\u{1F601}"])
      expect(recent.get(absent)).toBeUndefined();
    recent.forget(`${long}y`);
    expect(recent.get(`${long}y`)).toBeUndefined();
    expect(recent.get(`${long}z`)).toBe(dispatches[6]);
  });

  it("finds an empty id whether or not another was looked up first", () => {
    for (const first of [null, "a"]) {
      const recent = new RecentIds(4);
      if (first !== null) recent.remember(first, SETTLED);
      recent.remember("", SETTLED);
      recent.get("b");
      expect(recent.get("")).toBe(SETTLED);
    }
  });

  it("refuses a capacity that is not a whole number of ids", () => {
    for (const capacity of [1.5, -1, Number.NaN, Infinity]) expect(() => new RecentIds(capacity)).toThrow(RangeError);
  });

  // 10,000 (the default) grows its slots twice and its index twice before the ring first wraps.
  it.each([1, 2, 7, 64, 5000, 10_000])("answers as its model over random operations (capacity %i)", (capacity) => {
    const random = rng(SEED ^ capacity);
    const pool = idPool(random, Math.max(40, capacity * 3));
    const recent = new RecentIds(capacity);
    const model = new Model(capacity);
    const steps = Math.max(4_000, capacity * 6);
    for (let step = 0; step < steps; step++) {
      const id = random.pick(pool);
      const op = random.int(10);
      if (op < 6) {
        // As receive() does: remember only what get() did not find.
        const seen = recent.get(id);
        expect(seen, `seed ${SEED}, step ${step}: get(${JSON.stringify(id)})`).toBe(model.get(id));
        if (seen === undefined) {
          const dispatched = Promise.resolve();
          recent.remember(id, dispatched);
          model.remember(id, dispatched);
        }
      } else if (op < 8) {
        const dispatched = Promise.resolve();
        recent.replace(id, dispatched);
        model.set(id, dispatched);
      } else if (op < 9) {
        recent.settled(id);
        model.set(id, SETTLED);
      } else {
        recent.forget(id);
        model.forget(id);
      }
    }
    const wrong = pool.filter((id) => recent.get(id) !== model.get(id));
    expect(wrong, `seed ${SEED}`).toEqual([]);
  });
});
