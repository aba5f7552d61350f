/**
 * The wire of a batch: data that JSON carries exactly goes as JSON, anything else by structured
 * clone, so every event's data arrives as structured clone would deliver it.
 */
import { describe, expect, it } from "vitest";
import { isJsonExact } from "../src/offload/protocol.js";

describe("isJsonExact", () => {
  it("accepts plain data JSON round-trips unchanged", () => {
    for (const value of [{}, { a: 1, b: "x", c: [1, "2", null, true], d: { e: { f: -1.5 } } }, Object.create(null) as object, JSON.parse('{"__proto__": 1}') as object, "\ud800"]) {
      expect(isJsonExact(value)).toBe(true);
      expect(JSON.parse(JSON.stringify(value))).toStrictEqual(structuredClone(value));
    }
  });

  it("refuses what JSON would change or drop", () => {
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const extra = Object.assign([1, 2], { tag: "x" });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const cases: unknown[] = [-0, NaN, Infinity, undefined, { a: undefined }, new Date(0), new Map(), new Set(), new Uint8Array(2), 1n, sparse, extra, cycle, { f: () => 1 }, new (class Point {})()];
    for (const value of cases) expect(isJsonExact({ value })).toBe(false);
  });

  it("throws what a getter throws, for the caller to send the data by structured clone", () => {
    const hostile = Object.defineProperty({}, "boom", { enumerable: true, get: () => { throw new Error("getter"); } });
    expect(() => isJsonExact(hostile)).toThrow("getter");
  });
});
