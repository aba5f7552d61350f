/**
 * The bus side of bridging, against an in-memory BusTransport (no server needed): the echo guard,
 * each LocalEmitOutcome of onLocalEmit, remote events through the schemas, and close.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Event, EventBus, type BusError } from "../../src/index.js";
import { MemoryNetwork, MemoryTransport, type PublishMode } from "../support/memory-transport.js";

const buses: EventBus[] = [];
function bus(options: ConstructorParameters<typeof EventBus>[0] = {}): EventBus {
  const b = new EventBus(options);
  buses.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeoutMs: 100 })));
});

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("bridge contract (in-memory transport)", () => {
  it("a local emit reaches the other bus once, and the other bus does not publish it back", async () => {
    const network = new MemoryNetwork();
    const a = bus();
    const b = bus();
    await a.bridge(new MemoryTransport(network));
    await b.bridge(new MemoryTransport(network));
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.subscribe("task.*", (e) => void seenA.push(e.eventId));
    b.subscribe("task.*", (e) => void seenB.push(e.eventId));
    const event = new Event("task.started", "w1", { n: 1 });
    const result = await a.emit(event);
    await flush();
    expect(result).toMatchObject({ matched: 2, delivered: 2, failed: 0 });
    expect(seenA).toEqual([event.eventId]);
    expect(seenB).toEqual([event.eventId]);
    expect(network.published.map((e) => e.eventId)).toEqual([event.eventId]);
    expect(a.getStats().bridge).toMatchObject({ published: 1, received: 0 });
    expect(b.getStats().bridge).toMatchObject({ published: 0, received: 1 });
  });

  it('"skipped": the bridge is no delivery target of the emit', async () => {
    const a = bus();
    await a.bridge(new MemoryTransport(new MemoryNetwork(), { exported: (type) => type.startsWith("task.") }));
    a.subscribe("agent.*", () => undefined);
    expect(await a.emit(new Event("agent.started", "w", {}))).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
  });

  const outcomes: [PublishMode, object][] = [
    ["sent", { matched: 1, delivered: 1, failed: 0 }],
    ["async", { matched: 1, delivered: 1, failed: 0 }],
  ];
  for (const [mode, expected] of outcomes) {
    it(`"${mode}": one more delivered target`, async () => {
      const a = bus();
      await a.bridge(new MemoryTransport(new MemoryNetwork(), { mode: () => mode }));
      expect(await a.emit(new Event("task.started", "w", {}))).toMatchObject(expected);
    });
  }

  for (const mode of ["reject", "throw"] as const) {
    it(`a publish that ${mode === "reject" ? "rejects" : "throws"} is a failed delivery with EBUS_TRANSPORT, reported, and no subscription`, async () => {
      const reported: BusError[] = [];
      const a = bus({ onError: (err) => reported.push(err) });
      await a.bridge(new MemoryTransport(new MemoryNetwork(), { mode: () => mode }));
      a.subscribe("task.*", () => undefined);
      const result = await a.emit(new Event("task.started", "w", {}));
      expect(result).toMatchObject({ matched: 2, delivered: 1, failed: 1 });
      expect(result.errors[0]).toMatchObject({ code: "EBUS_TRANSPORT" });
      expect(result.errors[0]!.subscriptionId).toBeUndefined();
      expect(reported.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);
    });
  }

  it("close({ timeoutMs }) fails a publish that never settles with EBUS_CLOSED", async () => {
    const reported: string[] = [];
    const a = new EventBus({ onError: (err) => reported.push(err.code) });
    await a.bridge(new MemoryTransport(new MemoryNetwork(), { mode: () => "hang" }));
    const emitted = a.emit(new Event("task.started", "w", {}));
    await a.close({ timeoutMs: 10 });
    const result = await emitted;
    expect(result).toMatchObject({ matched: 1, delivered: 0, failed: 1 });
    expect(result.errors[0]).toMatchObject({ code: "EBUS_CLOSED" });
    expect(reported).toEqual(["EBUS_CLOSED"]);
  });

  it("a remote event that breaks its type's schema is refused, stored and counted nowhere", async () => {
    const network = new MemoryNetwork();
    const a = bus();
    const b = bus();
    await a.bridge(new MemoryTransport(network));
    const linkB = await b.bridge(new MemoryTransport(network));
    b.define("task.started", z.object({ n: z.number() }));
    await a.emit(new Event("task.started", "w", { n: "one" }));
    await flush();
    expect(linkB.stats().received).toBe(1);
    expect(b.getHistory()).toEqual([]);
    const link = [...network.links].find((l) => l.nodeId === b.nodeId)!;
    await expect(link.remoteOutcomes[0]).rejects.toMatchObject({ code: "EBUS_INVALID_EVENT" });
  });

  it("one bridge at a time; close() closes it, and local emits after it stay local", async () => {
    const network = new MemoryNetwork();
    const a = bus();
    const bridge = await a.bridge(new MemoryTransport(network));
    await expect(a.bridge(new MemoryTransport(network))).rejects.toMatchObject({ code: "EBUS_ALREADY_BRIDGED" });
    await bridge.close();
    expect(a.getStats().bridge?.state).toBe("closed");
    expect(await a.emit(new Event("task.started", "w", {}))).toMatchObject({ matched: 0 });
    expect(network.published).toEqual([]);
    await a.close();
    await expect(a.bridge(new MemoryTransport(network))).rejects.toMatchObject({ code: "EBUS_CLOSED" });
  });
});
