/**
 * Workers that emit: an offloaded handler's ctx.emit sends follow-up events to the main thread's
 * bus, in call order, once the handler has succeeded, each emitted on its own one nesting level
 * deeper than the event that caused it.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Event, offload, type BridgeHost, type BridgeLink, type BusTransport } from "../../src/index.js";
import { until } from "../support/async.js";
import { useBuses } from "../support/buses.js";
import { FOLLOW_UPS } from "../support/offload.js";

const { watched } = useBuses({ closeTimeoutMs: 2000 });

/** Subscribes an in-process collector of `pattern`'s events. */
function collect(bus: ReturnType<typeof watched>["bus"], pattern: string): Event[] {
  const seen: Event[] = [];
  bus.subscribe(pattern, (e) => {
    seen.push(e);
  });
  return seen;
}

describe("ctx.emit in an offloaded handler", () => {
  it("emits follow-ups in call order, before the original emit resolves, and counts them", async () => {
    const { bus, errors } = watched({ workers: { maxThreads: 2 } });
    bus.subscribe("job.run", offload(FOLLOW_UPS, "steps"));
    const steps = collect(bus, "job.step");
    const results = await bus.emitMany([0, 1, 2, 3].map((n) => new Event("job.run", "test", { n, count: 3 })));
    expect(results.every((r) => r.delivered === 1 && r.failed === 0)).toBe(true);
    // Dispatched before the emits resolved: the synchronous collector has them all already.
    expect(steps).toHaveLength(12);
    for (const n of [0, 1, 2, 3]) expect(steps.filter((e) => e.data.n === n).map((e) => e.data.k)).toEqual([0, 1, 2]);
    expect(bus.getHistory({ pattern: "job.step" })).toHaveLength(12);
    expect(bus.getStats().workers).toMatchObject({ followUps: 12, followUpsDropped: 0 });
    expect(bus.getStats().eventCounts["job.step"]).toBe(12);
    expect(errors).toEqual([]);
  });

  it("takes (type, data?, source?) with the handled event's source by default, or an Event built in the worker", async () => {
    const { bus } = watched();
    bus.subscribe("job.run", offload(FOLLOW_UPS, "sources"));
    const steps = collect(bus, "job.step");
    await bus.emit(new Event("job.run", "origin"));
    expect(steps.map((e) => [e.data.k, e.source])).toEqual([
      [0, "origin"],
      [1, "elsewhere"],
      [2, "built"],
    ]);
    expect(steps[2]!.eventId).toBe("built-in-worker");
    expect(steps[2]!.timestamp.getTime()).toBe(0);
  });

  it("drops the follow-ups of a handler that fails, and counts the drop", async () => {
    const { bus, errors } = watched();
    bus.subscribe("job.run", offload(FOLLOW_UPS, "failsAfterEmitting"));
    const steps = collect(bus, "job.step");
    const result = await bus.emit(new Event("job.run", "test"));
    expect(result.errors.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED"]);
    expect(steps).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED"]);
    expect(bus.getStats().workers).toMatchObject({ followUps: 0, followUpsDropped: 2 });
  });

  it("throws InvalidEventError in the worker for bad input, which the handler can catch", async () => {
    const { bus } = watched();
    bus.subscribe("job.run", offload(FOLLOW_UPS, "badInput"));
    const caught = collect(bus, "job.caught");
    const result = await bus.emit(new Event("job.run", "test"));
    expect(result.delivered).toBe(1);
    expect(caught.map((e) => e.data.code)).toEqual(Array(5).fill("EBUS_INVALID_EVENT"));
    expect(caught.map((e) => e.data.name)).toEqual(Array(5).fill("InvalidEventError"));
    expect(String(caught[4]!.data.message)).toMatch(/cannot cross to the main thread/);
  });

  it("fails the handler when it does not catch data that cannot cross threads; nothing it sent is emitted", async () => {
    const { bus } = watched();
    bus.subscribe("job.run", offload(FOLLOW_UPS, "uncloneable"));
    const steps = collect(bus, "job.step");
    const result = await bus.emit(new Event("job.run", "test"));
    expect(result.errors.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED"]);
    expect(result.errors[0]!.message).toMatch(/cannot cross to the main thread/);
    expect(steps).toEqual([]);
  });

  it("applies defined schemas to each follow-up on its own: a refused one is reported, the others go", async () => {
    const { bus, errors } = watched();
    bus.define("job.step", z.object({ n: z.number(), k: z.number().max(1) }));
    bus.subscribe("job.run", offload(FOLLOW_UPS, "steps"));
    const steps = collect(bus, "job.step");
    const result = await bus.emit(new Event("job.run", "test", { n: 0, count: 3 }));
    expect(result.delivered).toBe(1);
    expect(steps.map((e) => e.data.k)).toEqual([0, 1]);
    expect(errors.map((e) => e.code)).toEqual(["EBUS_INVALID_EVENT"]);
    expect(bus.getStats().workers).toMatchObject({ followUps: 2, followUpsDropped: 1 });
  });

  it("nests across threads: a handler that answers its own type stops at maxNesting with EBUS_RECURSION_LIMIT", async () => {
    const { bus, errors } = watched({ maxNesting: 4 });
    bus.subscribe("loop.ping", offload(FOLLOW_UPS, "echo"));
    const pings = collect(bus, "loop.ping");
    await bus.emit(new Event("loop.ping", "test", { depth: 0 }));
    await until(() => errors.length > 0, { message: "the recursion limit to be reported" });
    // Emitted at depths 0..3; the follow-up at depth 4 is refused.
    expect(pings.map((e) => e.data.depth)).toEqual([0, 1, 2, 3]);
    expect(errors.map((e) => e.code)).toEqual(["EBUS_RECURSION_LIMIT"]);
    await until(() => bus.getStats().workers.followUpsDropped === 1, {
      message: "the refused follow-up to be counted",
    });
    expect(bus.getStats().workers.followUps).toBe(3);
  });

  it("exports follow-ups through the bridge like any local emit", async () => {
    const { bus } = watched();
    const published: Event[] = [];
    const transport: BusTransport = {
      attach: (host: BridgeHost): Promise<BridgeLink> =>
        Promise.resolve({
          nodeId: host.nodeId,
          stats: () => ({
            state: "connected",
            published: published.length,
            received: 0,
            duplicates: 0,
            invalid: 0,
            dropped: 0,
            retries: 0,
          }),
          close: () => Promise.resolve(),
          onLocalEmit: (event: Event) => {
            published.push(event);
            return "sent";
          },
        }),
    };
    await bus.bridge(transport);
    bus.subscribe("job.run", offload(FOLLOW_UPS, "steps"));
    await bus.emit(new Event("job.run", "test", { n: 7, count: 2 }));
    expect(published.map((e) => [e.eventType, e.data.k ?? null])).toEqual([
      ["job.run", null],
      ["job.step", 0],
      ["job.step", 1],
    ]);
  });

  it("drops and counts what a handler emits after it has returned", async () => {
    const { bus } = watched({ workers: { maxThreads: 1 } });
    bus.subscribe("job.run", offload(FOLLOW_UPS, "late"));
    const steps = collect(bus, "job.step");
    // One batch: the first job's late emit fires while the second waits (and the second's own
    // timer fires while it still runs: that one is in time).
    await bus.emitMany([new Event("job.run", "test", { n: 0 }), new Event("job.run", "test", { n: 1, wait: true })]);
    await until(() => bus.getStats().workers.followUpsDropped === 1, {
      message: "the late follow-up to be counted as dropped",
    });
    expect(steps.map((e) => [e.data.k])).toEqual([[0], [0], [1]]);
    expect(bus.getStats().workers.followUps).toBe(3);
  });

  it("keeps structured-clone semantics both ways: Date, Map, typed arrays, BigInt, and shared memory", async () => {
    const { bus } = watched();
    bus.subscribe("job.run", offload(FOLLOW_UPS, "roundTrip"));
    bus.subscribe("job.touch", offload(FOLLOW_UPS, "touch"));
    const back = collect(bus, "job.back");
    const data = { when: new Date(5), map: new Map([["a", 1]]), bytes: new Uint8Array([1, 2]), big: 2n ** 70n };
    await bus.emit(new Event("job.run", "test", data));
    expect(back[0]!.data).toEqual(data);
    expect(back[0]!.data.when).toBeInstanceOf(Date);
    expect(back[0]!.data.map).toBeInstanceOf(Map);
    const shared = new SharedArrayBuffer(4);
    await bus.emit(new Event("job.touch", "test", { shared }));
    expect(new Int32Array(shared)[0]).toBe(7);
  });
});
