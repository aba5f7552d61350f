/**
 * Subscription handles and per-subscription concurrency (src/bus/subscription.ts,
 * src/bus/concurrency.ts): on() returns an unsubscribe function that is also Disposable (`using`);
 * `concurrency` bounds the running calls of one subscription, in emit order, after async filters
 * too (however they answer), failures moving the queue on; close({ timeoutMs }) fails the queued calls.
 */
import { describe, expect, it } from "vitest";
import { Event, offload } from "../../src/index.js";
import { deferred } from "../support/async.js";
import { useBuses } from "../support/buses.js";
import { HANDLERS } from "../support/offload.js";

const newBus = useBuses();

const ev = (type: string, data: Record<string, unknown> = {}): Event => new Event(type, "test", data);

describe("on(): an unsubscribe function that is also Disposable", () => {
  it("Symbol.dispose exists on this Node", () => {
    expect(typeof Symbol.dispose).toBe("symbol");
  });

  it("unsubscribes when called, and reports whether it was subscribed", async () => {
    const bus = newBus();
    const seen: string[] = [];
    const off = bus.on("a.*", (e) => void seen.push(e.eventType));
    expect(bus.getSubscriptionCount("a.*")).toBe(1);
    await bus.emit(ev("a.b"));
    expect(off()).toBe(true);
    expect(off()).toBe(false);
    await bus.emit(ev("a.c"));
    expect(seen).toEqual(["a.b"]);
    expect(off.subscriptionId).toBeTypeOf("string");
    await bus.close();
  });

  it("unsubscribes at the end of a `using` block", async () => {
    const bus = newBus();
    const seen: string[] = [];
    {
      using _off = bus.on("a.*", (e) => void seen.push(e.eventType));
      expect(bus.getSubscriptionCount()).toBe(1);
      await bus.emit(ev("a.b"));
    }
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.emit(ev("a.c"));
    expect(seen).toEqual(["a.b"]);
    await bus.close();
  });

  it("subscribe still returns the id", () => {
    const bus = newBus();
    const id = bus.subscribe("a.*", () => undefined);
    expect(typeof id).toBe("string");
    expect(bus.unsubscribe(id)).toBe(true);
  });
});

describe("concurrency: a per-subscription bound on running handler calls", () => {
  it("runs one call at a time, in emit order, with concurrency 1, while other subscriptions stay concurrent", async () => {
    const bus = newBus();
    const gates = [deferred(), deferred(), deferred()];
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    bus.subscribe(
      "job.*",
      async (e) => {
        const i = e.data["i"] as number;
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await gates[i]!.promise;
        running--;
      },
      { concurrency: 1 },
    );
    let free = 0;
    const freeGate = deferred();
    bus.subscribe("job.*", async () => {
      free++;
      await freeGate.promise;
    });
    const emits = [0, 1, 2].map((i) => bus.emit(ev("job.run", { i })));
    // The unlimited subscription has started all three; the limited one only the first.
    expect(free).toBe(3);
    expect(order).toEqual([0]);
    freeGate.resolve();
    gates[2]!.resolve();
    gates[1]!.resolve();
    gates[0]!.resolve();
    const results = await Promise.all(emits);
    expect(order).toEqual([0, 1, 2]);
    expect(peak).toBe(1);
    expect(results.map((r) => r.delivered)).toEqual([2, 2, 2]);
    await bus.close();
  });

  it("lets `concurrency` calls run at once and resolves each emit only after its own call settled", async () => {
    const bus = newBus();
    const gates = [deferred(), deferred(), deferred()];
    let running = 0;
    let peak = 0;
    bus.subscribe(
      "job.*",
      async (e) => {
        running++;
        peak = Math.max(peak, running);
        await gates[e.data["i"] as number]!.promise;
        running--;
      },
      { concurrency: 2 },
    );
    let thirdDone = false;
    const emits = [0, 1, 2].map((i) => bus.emit(ev("job.run", { i })));
    void emits[2]!.then(() => (thirdDone = true));
    expect(running).toBe(2);
    gates[0]!.resolve();
    await emits[0];
    expect(thirdDone).toBe(false);
    gates[2]!.resolve();
    gates[1]!.resolve();
    await Promise.all(emits);
    expect(peak).toBe(2);
    expect(bus.getStats().inFlight).toBe(0);
    await bus.close();
  });

  it("counts a throwing or rejecting limited handler as failed, and the queue moves on", async () => {
    const bus = newBus({ onError: () => undefined });
    let calls = 0;
    bus.subscribe(
      "x.*",
      (e) => {
        calls++;
        if (e.data["mode"] === "throw") throw new Error("sync");
        if (e.data["mode"] === "reject") return Promise.reject(new Error("async"));
        return undefined;
      },
      { concurrency: 1 },
    );
    const results = await Promise.all([
      bus.emit(ev("x.a", { mode: "throw" })),
      bus.emit(ev("x.a", { mode: "reject" })),
      bus.emit(ev("x.a", { mode: "ok" })),
    ]);
    expect(calls).toBe(3);
    expect(results.map((r) => [r.delivered, r.failed])).toEqual([
      [0, 1],
      [0, 1],
      [1, 0],
    ]);
    expect(results[0]!.errors[0]!.code).toBe("EBUS_HANDLER_FAILED");
    const stats = bus.getStats();
    expect([stats.delivered, stats.failed]).toEqual([1, 2]);
    await bus.close();
  });

  it("applies after an asynchronous filter too", async () => {
    const bus = newBus();
    let running = 0;
    let peak = 0;
    bus.subscribe(
      "x.*",
      async () => {
        running++;
        peak = Math.max(peak, running);
        await Promise.resolve();
        await Promise.resolve();
        running--;
      },
      { concurrency: 1, filter: async () => true },
    );
    const results = await Promise.all([1, 2, 3, 4].map(() => bus.emit(ev("x.a"))));
    expect(results.every((r) => r.delivered === 1)).toBe(true);
    expect(peak).toBe(1);
    await bus.close();
  });

  it("keeps emit order when async filters answer out of order; a filter that says no or fails lets the line move on", async () => {
    const bus = newBus({ onError: () => {} });
    const started: number[] = [];
    const answers = [
      deferred<boolean>(),
      deferred<boolean>(),
      deferred<boolean>(),
      deferred<boolean>(),
      deferred<boolean>(),
    ];
    bus.subscribe("storage.write", async (e) => void started.push(e.data["seq"] as number), {
      concurrency: 1,
      filter: (e) => answers[e.data["seq"] as number]!.promise,
    });
    const emits = [0, 1, 2, 3, 4].map((seq) => bus.emit(ev("storage.write", { seq })));
    // The filters answer last first: 4, then 3 (no), then 2 (fails), then 1, then 0.
    answers[4]!.resolve(true);
    answers[3]!.resolve(false);
    answers[2]!.reject(new Error("lookup failed"));
    answers[1]!.resolve(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([]); // all wait behind event 0, whose filter has not answered
    answers[0]!.resolve(true);
    const results = await Promise.all(emits);
    expect(started).toEqual([0, 1, 4]);
    expect(results.map((r) => [r.delivered, r.filtered, r.failed])).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    await bus.close();
  });

  it("keeps emit order when a filter emits an event of the same subscription itself", async () => {
    const bus = newBus();
    const order: number[] = [];
    for (const answer of [(): boolean => true, (): Promise<boolean> => Promise.resolve(true)]) {
      order.length = 0;
      const id = bus.subscribe("a.*", (e) => void order.push(e.data["i"] as number), {
        concurrency: 1,
        filter: (e) => {
          if (e.data["i"] === 0) void bus.emit(ev("a.b", { i: 100 }));
          return answer();
        },
      });
      await bus.emit(ev("a.b", { i: 0 }));
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual([0, 100]);
      bus.unsubscribe(id);
    }
    await bus.close();
  });

  it("refuses a bad limit, and a limit on an offloaded handler", () => {
    const bus = newBus();
    expect(() => bus.subscribe("a.*", () => undefined, { concurrency: 0 })).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }) as Error,
    );
    expect(() => bus.subscribe("a.*", offload(HANDLERS), { concurrency: 1 })).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }) as Error,
    );
    expect(bus.getSubscriptionCount()).toBe(0);
  });
});

describe("regressions", () => {
  // 0b7729a: a queued call whose delivery close({ timeoutMs }) had already failed still ran.
  it("concurrency and close({ timeoutMs }): queued calls fail with EBUS_CLOSED and never run (0b7729a)", async () => {
    const bus = newBus({ onError: () => undefined });
    const hold = deferred();
    let calls = 0;
    bus.subscribe(
      "x.*",
      async () => {
        calls++;
        await hold.promise;
      },
      { concurrency: 1 },
    );
    const first = bus.emit(ev("x.a"));
    const queued = bus.emit(ev("x.a"));
    await bus.close({ timeoutMs: 0 });
    const results = await Promise.all([first, queued]);
    expect(results.map((r) => r.errors[0]?.code)).toEqual(["EBUS_CLOSED", "EBUS_CLOSED"]);
    hold.resolve();
    // The running call settles and frees its slot through promise callbacks only: one macrotask
    // turn drains them all, so a queued call that was going to run has run by then.
    await new Promise(setImmediate);
    expect(calls).toBe(1);
  });
});
