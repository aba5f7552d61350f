/**
 * The transport contract (as mqemitter exports its abstract test suite): what a bus may expect
 * of any BusTransport, written once and run against every transport by
 * test/transport/bridge-contract.test.ts. A transport under test is given as a ContractNetwork:
 * a fresh, isolated network per test (for NATS: its own subject prefix and stream), on which each
 * `transport()` is one more peer. Assertions are what a user of the bridge can observe (emit
 * results, handlers, history, onError, the bridge's stats), after `settle()`; nothing waits a
 * fixed time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Event, EventBus, type BusError, type BusOptions, type BusTransport } from "../../src/index.js";

/** What a faulty publish answers, for transports that can be made to (the in-memory one). */
export type FaultMode = "async" | "reject" | "throw" | "hang";

export interface ContractNetwork {
  /** One more peer on this network. `export`: the local patterns whose events leave (default all). */
  transport(options?: { export?: string[] }): BusTransport;
  /** Resolves once everything published so far has reached every attached peer and been settled there. */
  settle(): Promise<void>;
  /** The ids of the events the network carried, in publish order. */
  carried(): Promise<string[]>;
  /** A peer whose every publish answers `mode`: only where `faults` is given to transportContract. */
  faulty?(mode: FaultMode): BusTransport;
  /** Frees what the network holds (streams...). */
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /**
   * The network can inject publish outcomes (faulty()). A real server cannot be made to answer
   * "reject", "throw" or "hang" on demand, so these cases run on the in-memory transport only;
   * the NATS transport's own failures (retry budget, lost connections) are in the nats-* suites.
   */
  faults?: boolean;
}

/** Defines the contract's tests for the transport `name`, each on a network from `builder`. */
export function transportContract(
  name: string,
  builder: () => ContractNetwork | Promise<ContractNetwork>,
  options: ContractOptions = {},
): void {
  describe(`transport contract: ${name}`, () => {
    const buses: EventBus[] = [];
    const networks: ContractNetwork[] = [];
    afterEach(async () => {
      try {
        await Promise.all(buses.splice(0).map((b) => b.close({ timeoutMs: 1_000 })));
      } finally {
        await Promise.all(networks.splice(0).map((n) => n.dispose()));
      }
    });
    const bus = (busOptions: BusOptions = {}): EventBus => {
      const b = new EventBus(busOptions);
      buses.push(b);
      return b;
    };
    const network = async (): Promise<ContractNetwork> => {
      const n = await builder();
      networks.push(n);
      return n;
    };

    it("a local emit reaches the other bus once, and the other bus does not publish it back", async () => {
      const net = await network();
      const a = bus();
      const b = bus();
      await a.bridge(net.transport());
      await b.bridge(net.transport());
      const seenA: string[] = [];
      const seenB: string[] = [];
      a.subscribe("task.*", (e) => void seenA.push(e.eventId));
      b.subscribe("task.*", (e) => void seenB.push(e.eventId));
      const event = new Event("task.started", "w1", { n: 1 });
      const result = await a.emit(event);
      await net.settle();
      expect(result).toMatchObject({ matched: 2, delivered: 2, failed: 0 });
      expect(seenA).toEqual([event.eventId]);
      expect(seenB).toEqual([event.eventId]);
      expect(await net.carried()).toEqual([event.eventId]);
      expect(a.getStats().bridge).toMatchObject({ published: 1, received: 0 });
      expect(b.getStats().bridge).toMatchObject({ published: 0, received: 1 });
    });

    it('"skipped": an event the bridge does not export makes it no delivery target, and stays local', async () => {
      const net = await network();
      const a = bus();
      await a.bridge(net.transport({ export: ["task.*"] }));
      a.subscribe("agent.*", () => undefined);
      expect(await a.emit(new Event("agent.started", "w", {}))).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
      await net.settle();
      expect(await net.carried()).toEqual([]);
    });

    it("a published emit counts the bridge as one more delivered target", async () => {
      const net = await network();
      const a = bus();
      await a.bridge(net.transport());
      expect(await a.emit(new Event("task.started", "w", {}))).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
    });

    if (options.faults === true) {
      it('"async" (a publish that resolves later): one more delivered target', async () => {
        const net = await network();
        const a = bus();
        await a.bridge(net.faulty!("async"));
        expect(await a.emit(new Event("task.started", "w", {}))).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
      });

      for (const mode of ["reject", "throw"] as const) {
        it(`a publish that ${mode === "reject" ? "rejects" : "throws"} is a failed delivery with EBUS_TRANSPORT, reported, and no subscription`, async () => {
          const net = await network();
          const reported: BusError[] = [];
          const a = bus({ onError: (err) => reported.push(err) });
          await a.bridge(net.faulty!(mode));
          a.subscribe("task.*", () => undefined);
          const result = await a.emit(new Event("task.started", "w", {}));
          expect(result).toMatchObject({ matched: 2, delivered: 1, failed: 1 });
          expect(result.errors[0]).toMatchObject({ code: "EBUS_TRANSPORT" });
          expect(result.errors[0]!.subscriptionId).toBeUndefined();
          expect(reported.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);
        });
      }

      it("close({ timeoutMs }) fails a publish that never settles with EBUS_CLOSED", async () => {
        const net = await network();
        const reported: string[] = [];
        const a = bus({ onError: (err) => reported.push(err.code) });
        await a.bridge(net.faulty!("hang"));
        const emitted = a.emit(new Event("task.started", "w", {}));
        await a.close({ timeoutMs: 10 });
        const result = await emitted;
        expect(result).toMatchObject({ matched: 1, delivered: 0, failed: 1 });
        expect(result.errors[0]).toMatchObject({ code: "EBUS_CLOSED" });
        expect(reported).toEqual(["EBUS_CLOSED"]);
      });
    }

    it("a remote event that breaks its type's schema is refused, stored, delivered and counted nowhere, and reported", async () => {
      const net = await network();
      const reported: BusError[] = [];
      const a = bus();
      const b = bus({ onError: (err) => reported.push(err) });
      await a.bridge(net.transport());
      const linkB = await b.bridge(net.transport());
      b.define("task.started", z.object({ n: z.number() }));
      const seenB: string[] = [];
      b.subscribe("task.*", (e) => void seenB.push(e.eventId));
      await a.emit(new Event("task.started", "w", { n: "one" }));
      await net.settle();
      expect(linkB.stats()).toMatchObject({ received: 0, invalid: 1 });
      expect(seenB).toEqual([]);
      expect(b.getHistory()).toEqual([]);
      expect(b.getStats().totalEventsEmitted).toBe(0);
      expect(reported.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);
      expect(reported[0]!.cause).toMatchObject({ code: "EBUS_INVALID_EVENT" });
    });

    it("one bridge at a time; close() closes it, and local emits after it stay local", async () => {
      const net = await network();
      const a = bus();
      const bridge = await a.bridge(net.transport());
      await expect(a.bridge(net.transport())).rejects.toMatchObject({ code: "EBUS_ALREADY_BRIDGED" });
      await bridge.close();
      expect(a.getStats().bridge?.state).toBe("closed");
      expect(await a.emit(new Event("task.started", "w", {}))).toMatchObject({ matched: 0 });
      await net.settle();
      expect(await net.carried()).toEqual([]);
      await a.close();
      await expect(a.bridge(net.transport())).rejects.toMatchObject({ code: "EBUS_CLOSED" });
    });
  });
}
