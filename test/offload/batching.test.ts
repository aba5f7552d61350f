/**
 * The batching policy: batches sized by each handler's learned cost, not by count alone.
 */
import { describe, expect, it } from "vitest";
import { Event, offload } from "../../src/index.js";
import { BUDGET_US, CostModel, HandlerCost, Lane } from "../../src/offload/batching.js";
import { Job } from "../../src/offload/job.js";
import { HANDLERS } from "../support/offload.js";

const trivial = offload(HANDLERS, "act");
const heavy = offload(HANDLERS, "act", { timeoutMs: 10_000 });

function learned(micros: number): HandlerCost {
  const cost = new HandlerCost();
  for (let i = 0; i < 50; i++) cost.learn(micros);
  return cost;
}

function laneOf(costs: HandlerCost[]): Lane<null> {
  const lane = new Lane<null>(null);
  costs.forEach((cost, i) =>
    lane.push(new Job(cost === costs[0] ? trivial : heavy, cost, "s", "job.*", new Event("job.run", "t", { i }), null)),
  );
  return lane;
}

/** A pool large enough that these short queues are no backlog: batches keep to the ~1 ms budget. */
const POOL = 8;

const sizes = (lane: Lane<null>, batchSize: number, free: number, threads = free): number[] => {
  const out: number[] = [];
  for (let batch = lane.next(batchSize, free, threads); batch !== null; batch = lane.next(batchSize, free, threads))
    out.push(batch.length);
  return out;
};

describe("batch sizing by learned cost", () => {
  it("learns a handler's duration as a moving average", () => {
    const cost = new HandlerCost();
    expect(cost.micros).toBe(BUDGET_US / 8);
    for (let i = 0; i < 40; i++) cost.learn(4000);
    expect(cost.micros).toBeGreaterThan(3900);
    for (let i = 0; i < 40; i++) cost.learn(2);
    expect(cost.micros).toBeLessThan(5);
    expect(cost.samples).toBe(80);
  });

  it("sends a trivial handler in batches as large as batchSize allows", () => {
    const cost = learned(2);
    expect(sizes(laneOf(Array(1000).fill(cost)), 256, 1)).toEqual([256, 256, 256, 232]);
  });

  it("sends a heavy handler one job per batch", () => {
    const cost = learned(4000);
    expect(sizes(laneOf(Array(5).fill(cost)), 256, 1, POOL)).toEqual([1, 1, 1, 1, 1]);
  });

  it("keeps a batch of a ~300 µs handler near the 1 ms budget", () => {
    const cost = learned(300);
    expect(sizes(laneOf(Array(9).fill(cost)), 256, 1, POOL)).toEqual([3, 3, 3]);
  });

  it("starts an unknown handler with small batches", () => {
    expect(sizes(laneOf(Array(20).fill(new HandlerCost())), 256, 1, POOL)).toEqual([8, 8, 4]);
  });

  it("cuts a batch of trivial jobs before a heavy one, which travels alone", () => {
    const light = learned(2);
    const slow = learned(4000);
    const costs = [light, light, light, slow, light, light];
    expect(sizes(laneOf(costs), 256, 1, POOL)).toEqual([3, 1, 2]);
  });

  it("spreads a short queue over the free threads", () => {
    const cost = learned(2);
    expect(sizes(laneOf(Array(10).fill(cost)), 256, 2)).toEqual([5, 3, 1, 1]);
  });

  it("under a backlog, sends a ~1 ms handler several per batch, fewer as the backlog drains", () => {
    const cost = learned(1000);
    const out = sizes(laneOf(Array(128).fill(cost)), 256, 2);
    // 128 ms of work for 2 threads: a batch holds up to half of a thread's share.
    expect(out[0]).toBeGreaterThanOrEqual(31);
    expect(out[0]).toBeLessThanOrEqual(32);
    expect(out.reduce((a, b) => a + b, 0)).toBe(128);
    for (let i = 1; i < out.length; i++) expect(out[i]).toBeLessThanOrEqual(out[i - 1]!);
    expect(out.at(-1)).toBe(1);
    // With no backlog to speak of, the same handler goes one job per batch.
    expect(sizes(laneOf(Array(4).fill(cost)), 256, 2)).toEqual([1, 1, 1, 1]);
  });

  it("keeps one cost per offload() descriptor", () => {
    const model = new CostModel();
    expect(model.of(trivial)).toBe(model.of(trivial));
    expect(model.of(heavy)).not.toBe(model.of(trivial));
  });
});
