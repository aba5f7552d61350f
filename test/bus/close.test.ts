/**
 * close() and the global bus.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Event, EventBus, EventBusGlobal, type BusError } from "../../src/index.js";
import { expectCode, expectRejectCode } from "../support/assertions.js";
import { deferred, ticks } from "../support/async.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();
const noop = (): void => {};

describe("close", () => {
  it("lets emits called before it settle, then emit and emitMany reject with EBUS_CLOSED", async () => {
    const bus = new EventBus({ onError: noop });
    const gate = deferred();
    let finished = 0;
    bus.subscribe("ok", async () => {
      await gate.promise;
      finished++;
    });
    bus.subscribe("bad", async () => {
      await gate.promise;
      throw new Error("x");
    });
    const before = [bus.emit(new Event("ok", "s")), bus.emit(new Event("bad", "s"))];
    let closed = false;
    const closing = bus.close().then(() => {
      closed = true;
    });
    await ticks(3);
    expect(closed).toBe(false); // still waiting for the deliveries
    expect(bus.isClosed).toBe(true);
    await expectRejectCode(bus.emit(new Event("ok", "s")), "EBUS_CLOSED");
    await expectRejectCode(bus.emitMany([new Event("ok", "s")]), "EBUS_CLOSED");
    gate.resolve();
    await closing;
    const [ok, bad] = await Promise.all(before);
    expect(ok).toMatchObject({ delivered: 1, failed: 0 });
    expect(bad).toMatchObject({ delivered: 0, failed: 1 });
    expect(finished).toBe(1);
    expect(bus.getStats().inFlight).toBe(0);
  });

  it("with timeoutMs, fails deliveries still running with EBUS_CLOSED and resolves", async () => {
    const reported: BusError[] = [];
    const bus = new EventBus({ onError: (e) => void reported.push(e) });
    const id = bus.subscribe("hang", () => new Promise(() => {}));
    bus.subscribe("hang", async () => {});
    const pending = bus.emit(new Event("hang", "s"));
    await bus.close({ timeoutMs: 5 });
    const result = await pending;
    expect(result).toMatchObject({ matched: 2, delivered: 1, failed: 1 });
    expect(result.errors[0]).toMatchObject({ code: "EBUS_CLOSED", subscriptionId: id, pattern: "hang" });
    expect(reported.map((e) => e.code)).toEqual(["EBUS_CLOSED"]);
    expect(bus.getStats()).toMatchObject({ inFlight: 0, delivered: 1, failed: 1 });
  });

  it("with timeoutMs and nothing running, resolves at once; an async filter still running is failed too", async () => {
    const quiet = new EventBus();
    await quiet.close({ timeoutMs: 60_000 }); // must not wait for the timer
    const bus = new EventBus({ onError: noop });
    bus.subscribe("a", noop, { filter: () => new Promise<boolean>(() => {}) });
    const pending = bus.emit(new Event("a", "s"));
    await bus.close({ timeoutMs: 1 });
    expect((await pending).errors.map((e) => e.code)).toEqual(["EBUS_CLOSED"]);
  });

  it("a second close({ timeoutMs }) cuts short a first close() that waits for a slow handler", async () => {
    const bus = new EventBus({ onError: noop });
    bus.subscribe("slow", () => new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref()));
    const pending = bus.emit(new Event("slow", "s"));
    const graceful = bus.close();
    const forced = bus.close({ timeoutMs: 10 });
    expect(forced).toBe(graceful);
    await forced;
    expect((await pending).errors.map((e) => e.code)).toEqual(["EBUS_CLOSED"]);
    // A later, longer timeout does not undo an earlier, shorter one.
    const other = new EventBus({ onError: noop });
    other.subscribe("slow", () => new Promise<void>(() => {}));
    const waiting = other.emit(new Event("slow", "s"));
    const first = other.close({ timeoutMs: 10 });
    void other.close({ timeoutMs: 60_000 });
    await first;
    expect((await waiting).failed).toBe(1);
  });

  it("a second close({ timeoutMs }) from inside a handler cuts short its own emit's other deliveries", async () => {
    const bus = new EventBus({ onError: noop });
    bus.subscribe("shutdown", () => new Promise<void>(() => {}));
    bus.subscribe("shutdown", () => {
      void bus.close();
      void bus.close({ timeoutMs: 20 });
    });
    const result = await bus.emit(new Event("shutdown", "s"));
    expect(result.errors.map((e) => e.code)).toEqual(["EBUS_CLOSED"]);
    await bus.close();
  });

  it("is idempotent, and subscribe after close is refused", async () => {
    const bus = new EventBus();
    const first = bus.close();
    const second = bus.close();
    await Promise.all([first, second]);
    await bus.close();
    await expectRejectCode(bus.emit(new Event("a", "s")), "EBUS_CLOSED");
    expectCode(() => bus.subscribe("a", noop), "EBUS_CLOSED");
    expect(bus.getHistory()).toEqual([]);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, "10"])(
    "refuses timeoutMs %j with EBUS_INVALID_OPTIONS",
    async (timeoutMs) => {
      const bus = newBus();
      await expectRejectCode(bus.close({ timeoutMs: timeoutMs as number }), "EBUS_INVALID_OPTIONS");
    },
  );
});

describe("EventBusGlobal", () => {
  afterEach(async () => {
    await EventBusGlobal.reset();
  });

  it("replaces a global bus that was closed directly, and checks the options of every call", async () => {
    const bus = EventBusGlobal.getInstance();
    await bus.close();
    const next = EventBusGlobal.getInstance();
    expect(next).not.toBe(bus);
    expect(next.isClosed).toBe(false);
    expect(next.subscribe("a.b", noop)).toEqual(expect.any(String));
    expectCode(() => EventBusGlobal.getInstance({ maxHistry: 5 } as never), "EBUS_INVALID_OPTIONS");
    expect(EventBusGlobal.getInstance({ maxHistory: 5 })).toBe(next); // valid, but for the bus that exists: ignored
  });

  it("returns the same instance until reset, which closes it; the next one is new", async () => {
    const bus = EventBusGlobal.getInstance();
    expect(bus).toBeInstanceOf(EventBus);
    expect(EventBusGlobal.getInstance()).toBe(bus);
    const seen: string[] = [];
    bus.subscribe("*", (e) => void seen.push(e.eventType));
    await EventBusGlobal.getInstance().emit(new Event("task.started", "workflow_1"));
    expect(seen).toEqual(["task.started"]);
    await EventBusGlobal.reset();
    expect(bus.isClosed).toBe(true);
    await expectRejectCode(bus.emit(new Event("a", "s")), "EBUS_CLOSED");
    const next = EventBusGlobal.getInstance();
    expect(next).not.toBe(bus);
    expect(next.getSubscriptionCount()).toBe(0);
    expect(next.getHistory()).toEqual([]);
  });

  it("reset with no instance is harmless", async () => {
    await EventBusGlobal.reset();
    await EventBusGlobal.reset();
    expect(EventBusGlobal.getInstance()).toBeInstanceOf(EventBus);
  });
});

describe("regressions", () => {
  // a22c6c8: close() looked at the active emits synchronously, before the emit calling it was added, and
  // resolved early.
  it("called by a handler during dispatch, waits for that emit's other deliveries (a22c6c8)", async () => {
    const bus = new EventBus();
    const gate = deferred();
    let closing: Promise<void> | undefined;
    let closed = false;
    bus.subscribe("a", () => {
      closing = bus.close().then(() => {
        closed = true;
      });
    });
    bus.subscribe("a", () => gate.promise);
    const pending = bus.emit(new Event("a", "s"));
    await ticks(3);
    expect(closed).toBe(false);
    gate.resolve();
    await closing;
    await expect(pending).resolves.toMatchObject({ matched: 2, delivered: 2 });
  });
});
