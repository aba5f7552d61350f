/**
 * Subscriptions that change: subscribe and unsubscribe during an emit, `once`, and `signal`.
 */
import { describe, expect, it, vi } from "vitest";
import { Event } from "../../src/index.js";
import { expectBalanced } from "../support/assertions.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

describe("changes during an emit", () => {
  it("a subscription made by a handler does not receive the event being emitted", async () => {
    const bus = newBus();
    const late: string[] = [];
    bus.subscribe("a", () => {
      bus.subscribe("a", (e) => void late.push(e.eventId));
    });
    const first = new Event("a", "s");
    const r1 = await bus.emit(first);
    expect(r1.matched).toBe(1);
    expect(late).toEqual([]);
    const second = new Event("a", "s");
    const r2 = await bus.emit(second);
    expect(r2.matched).toBe(2);
    expect(late).toEqual([second.eventId]);
  });

  it("a subscription removed by an earlier handler still gets this emit, and not the next", async () => {
    const bus = newBus();
    const calls: string[] = [];
    let victim = "";
    bus.subscribe("a", () => {
      calls.push("killer");
      bus.unsubscribe(victim);
    });
    victim = bus.subscribe("a", () => void calls.push("victim"));
    const r1 = await bus.emit(new Event("a", "s"));
    expect(calls).toEqual(["killer", "victim"]);
    expect(r1).toMatchObject({ matched: 2, delivered: 2 });
    calls.length = 0;
    const r2 = await bus.emit(new Event("a", "s"));
    expect(calls).toEqual(["killer"]);
    expect(r2.matched).toBe(1);
  });

  it("a handler may unsubscribe itself", async () => {
    const bus = newBus();
    let calls = 0;
    const id = bus.subscribe("a", () => {
      calls++;
      expect(bus.unsubscribe(id)).toBe(true);
    });
    bus.subscribe("a", () => {});
    await bus.emit(new Event("a", "s"));
    await bus.emit(new Event("a", "s"));
    expect(calls).toBe(1);
    expect(bus.getSubscriptionCount()).toBe(1);
  });

  it("subscribe and unsubscribe inside an async handler after an await affect only later emits", async () => {
    const bus = newBus();
    const calls: string[] = [];
    let extra = "";
    bus.subscribe("a", async (e) => {
      calls.push(`first ${String(e.data["n"])}`);
      await Promise.resolve();
      if (extra === "") extra = bus.subscribe("a", (e2) => void calls.push(`extra ${String(e2.data["n"])}`));
      else bus.unsubscribe(extra);
    });
    await bus.emit(new Event("a", "s", { n: 1 }));
    await bus.emit(new Event("a", "s", { n: 2 }));
    await bus.emit(new Event("a", "s", { n: 3 }));
    expect(calls).toEqual(["first 1", "first 2", "extra 2", "first 3"]);
  });
});

describe("once", () => {
  it("delivers one event, then is gone", async () => {
    const bus = newBus();
    const seen: unknown[] = [];
    bus.subscribe("a", (e) => void seen.push(e.data["n"]), { once: true });
    const r1 = await bus.emit(new Event("a", "s", { n: 1 }));
    const r2 = await bus.emit(new Event("a", "s", { n: 2 }));
    expect(seen).toEqual([1]);
    expect(r1.delivered).toBe(1);
    expect(r2.matched).toBe(0);
    expect(bus.getSubscriptionCount()).toBe(0);
    expect(bus.getStats().patterns).toEqual([]);
  });

  it("is consumed by the first event that passes its filter (sync and async filters)", async () => {
    for (const async of [false, true]) {
      const bus = newBus();
      const seen: unknown[] = [];
      const pass = (e: Event): boolean => e.data["ok"] === true;
      bus.subscribe("a", (e) => void seen.push(e.data["n"]), {
        once: true,
        filter: async ? async (e) => pass(e) : pass,
      });
      const r1 = await bus.emit(new Event("a", "s", { n: 1, ok: false }));
      expect(r1).toMatchObject({ matched: 1, filtered: 1 });
      expect(bus.getSubscriptionCount()).toBe(1);
      await bus.emit(new Event("a", "s", { n: 2, ok: true }));
      await bus.emit(new Event("a", "s", { n: 3, ok: true }));
      expect(seen).toEqual([2]);
      expect(bus.getSubscriptionCount()).toBe(0);
    }
  });

  it("with concurrent emits and an async filter, only one event gets through", async () => {
    const bus = newBus();
    const seen: unknown[] = [];
    bus.subscribe("a", (e) => void seen.push(e.data["n"]), { once: true, filter: async () => true });
    const results = await Promise.all([1, 2, 3].map((n) => bus.emit(new Event("a", "s", { n }))));
    expect(seen).toHaveLength(1);
    expect(results.reduce((sum, r) => sum + r.delivered, 0)).toBe(1);
    for (const r of results) expectBalanced(r);
    expect(bus.getSubscriptionCount()).toBe(0);
  });

  it("a handler that re-emits the same type does not run the once handler twice", async () => {
    const bus = newBus();
    let calls = 0;
    bus.subscribe(
      "a",
      () => {
        calls++;
        void bus.emit(new Event("a", "s"));
      },
      { once: true },
    );
    await bus.emit(new Event("a", "s"));
    expect(calls).toBe(1);
  });

  it("already fired by a nested emit, counts as filtered in the outer emit that had matched it", async () => {
    const bus = newBus();
    const calls: string[] = [];
    let nested = false;
    bus.subscribe("a", () => {
      calls.push("reemitter");
      if (!nested) {
        nested = true;
        void bus.emit(new Event("a", "inner"));
      }
    });
    bus.subscribe("a", (e) => void calls.push(`once ${e.source}`), { once: true });
    const outer = await bus.emit(new Event("a", "outer"));
    expect(calls).toEqual(["reemitter", "reemitter", "once inner"]);
    expect(outer).toMatchObject({ matched: 2, delivered: 1, filtered: 1, failed: 0 });
    expect(bus.getStats()).toMatchObject({ delivered: 3, filteredOut: 1 });
  });

  it("is consumed even when its handler throws", async () => {
    const bus = newBus({ onError: () => {} });
    let calls = 0;
    bus.subscribe(
      "a",
      () => {
        calls++;
        throw new Error("x");
      },
      { once: true },
    );
    const r1 = await bus.emit(new Event("a", "s"));
    await bus.emit(new Event("a", "s"));
    expect(r1.failed).toBe(1);
    expect(calls).toBe(1);
  });
});

describe("signal", () => {
  it("aborting unsubscribes", async () => {
    const bus = newBus();
    const controller = new AbortController();
    let calls = 0;
    bus.subscribe("a", () => void calls++, { signal: controller.signal });
    await bus.emit(new Event("a", "s"));
    controller.abort();
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.emit(new Event("a", "s"));
    expect(calls).toBe(1);
  });

  it("an already aborted signal subscribes nothing and returns an empty id", async () => {
    const bus = newBus();
    let calls = 0;
    const id = bus.subscribe("a", () => void calls++, { signal: AbortSignal.abort() });
    expect(id).toBe("");
    expect(bus.getSubscriptionCount()).toBe(0);
    expect(bus.getStats().patterns).toEqual([]);
    await bus.emit(new Event("a", "s"));
    expect(calls).toBe(0);
    expect(bus.unsubscribe(id)).toBe(false);
  });

  it("one signal can end several subscriptions; unsubscribe removes its abort listener", () => {
    const bus = newBus();
    const controller = new AbortController();
    const signal = controller.signal;
    const add = vi.spyOn(signal, "addEventListener");
    const remove = vi.spyOn(signal, "removeEventListener");
    const a = bus.subscribe("a", () => {}, { signal });
    bus.subscribe("b", () => {}, { signal });
    expect(add).toHaveBeenCalledTimes(2);
    bus.unsubscribe(a);
    expect(remove).toHaveBeenCalledTimes(1);
    expect(remove.mock.calls[0]![1]).toBe(add.mock.calls[0]![1]);
    controller.abort();
    expect(bus.getSubscriptionCount()).toBe(0);
  });

  it("a signal aborted by a handler during an emit does not stop that emit's deliveries", async () => {
    const bus = newBus();
    const controller = new AbortController();
    const calls: string[] = [];
    bus.subscribe("a", () => {
      calls.push("aborter");
      controller.abort();
    });
    bus.subscribe("a", () => void calls.push("signalled"), { signal: controller.signal });
    await bus.emit(new Event("a", "s"));
    await bus.emit(new Event("a", "s"));
    expect(calls).toEqual(["aborter", "signalled", "aborter"]);
  });
});
