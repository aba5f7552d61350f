/**
 * Waiting for events (src/bus/waiting.ts, src/bus/stream.ts): waitFor resolves with the first
 * match and unsubscribes, or rejects on its timeout, an abort, a throwing filter or close; stream
 * yields matches in order with drop-oldest, drop-newest or wait (backpressure) buffers, and ends
 * on abort or close.
 */
import { describe, expect, it } from "vitest";
import { BusError, Event, WaitTimeoutError } from "../../src/index.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

const ev = (type: string, data: Record<string, unknown> = {}): Event => new Event(type, "test", data);

describe("waitFor", () => {
  it("resolves with the first event matching the pattern and filter, then unsubscribes", async () => {
    const bus = newBus();
    const waiting = bus.waitFor("task.*", { filter: (e) => e.data["task_id"] === "t2" });
    expect(bus.getSubscriptionCount("task.*")).toBe(1);
    await bus.emit(ev("task.completed", { task_id: "t1" }));
    await bus.emit(ev("agent.heartbeat", { task_id: "t2" }));
    const second = ev("task.failed", { task_id: "t2" });
    await bus.emit(second);
    await expect(waiting).resolves.toBe(second);
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });

  it("rejects with EBUS_WAIT_TIMEOUT (not a handler timeout) after timeoutMs and unsubscribes", async () => {
    const bus = newBus();
    const err = await bus.waitFor("never.*", { timeoutMs: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err).toBeInstanceOf(BusError);
    expect(err).toMatchObject({
      code: "EBUS_WAIT_TIMEOUT",
      pattern: "never.*",
      message: expect.stringContaining("within 5 ms"),
    });
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });

  it("rejects with an AbortError carrying the reason when the signal aborts, and unsubscribes", async () => {
    const bus = newBus();
    const controller = new AbortController();
    const waiting = bus.waitFor("a.*", { signal: controller.signal });
    controller.abort("stop");
    const err = (await waiting.catch((e: unknown) => e)) as Error & { code: string };
    expect(err.name).toBe("AbortError");
    expect(err.code).toBe("ABORT_ERR");
    expect(err.cause).toBe("stop");
    expect(bus.getSubscriptionCount()).toBe(0);
    const already = (await bus.waitFor("a.*", { signal: controller.signal }).catch((e: unknown) => e)) as {
      code: string;
    };
    expect(already.code).toBe("ABORT_ERR");
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });

  it("rejects with the filter's error when the filter throws (and the bus counts a failed delivery)", async () => {
    const errors: BusError[] = [];
    const bus = newBus({ onError: (e) => errors.push(e) });
    const boom = new Error("bad filter");
    const waiting = bus.waitFor("a.*", {
      filter: () => {
        throw boom;
      },
    });
    const result = await bus.emit(ev("a.b"));
    await expect(waiting).rejects.toBe(boom);
    expect(result.failed).toBe(1);
    expect(errors.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED"]);
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });

  it("rejects when its filter returns a thenable that rejects (not only a native Promise), and unsubscribes", async () => {
    const errors: BusError[] = [];
    const bus = newBus({ onError: (e) => errors.push(e) });
    const failure = new Error("lookup failed");
    const waiting = bus.waitFor("a.b", {
      filter: () => ({ then: (_ok: unknown, fail: (err: unknown) => void) => fail(failure) }) as never,
      timeoutMs: 5000,
    });
    await bus.emit(ev("a.b"));
    await expect(waiting).rejects.toBe(failure);
    expect(bus.getSubscriptionCount()).toBe(0);
    expect(errors.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED"]);
    await bus.close();
  });

  it("rejects with EBUS_CLOSED when the bus closes first, and refuses bad options", async () => {
    const bus = newBus();
    const waiting = bus.waitFor("a.*");
    await bus.close();
    await expect(waiting).rejects.toMatchObject({ code: "EBUS_CLOSED" });
    const open = newBus();
    await expect(open.waitFor("a.*", { timeoutMs: -1 })).rejects.toMatchObject({ code: "EBUS_INVALID_OPTIONS" });
    await expect(open.waitFor("a.*", { nope: 1 } as never)).rejects.toMatchObject({ code: "EBUS_INVALID_OPTIONS" });
    await expect(open.waitFor("a..b")).rejects.toMatchObject({ code: "EBUS_INVALID_PATTERN" });
    expect(open.getSubscriptionCount()).toBe(0);
    await open.close();
  });
});

describe("stream", () => {
  it("yields matching events in order and unsubscribes when the loop breaks", async () => {
    const bus = newBus();
    const stream = bus.stream("task.*");
    expect(bus.getSubscriptionCount("task.*")).toBe(1);
    for (const id of ["t1", "t2", "t3"]) await bus.emit(ev("task.done", { id }));
    await bus.emit(ev("other.x"));
    const ids: unknown[] = [];
    for await (const e of stream) {
      ids.push(e.data["id"]);
      if (ids.length === 2) break;
    }
    expect(ids).toEqual(["t1", "t2"]);
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });

  it("hands an event straight to a waiting reader", async () => {
    const bus = newBus();
    const stream = bus.stream("a.*");
    const next = stream.next();
    const event = ev("a.b");
    await bus.emit(event);
    await expect(next).resolves.toEqual({ value: event, done: false });
    await stream.return();
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });

  it("drop-oldest (default) keeps the newest bufferSize events and counts the dropped", async () => {
    const bus = newBus();
    const stream = bus.stream("n.*", { bufferSize: 2 });
    for (let i = 0; i < 5; i++) await bus.emit(ev("n.x", { i }));
    expect(stream.dropped).toBe(3);
    expect(stream.buffered).toBe(2);
    const a = await stream.next();
    const b = await stream.next();
    expect([a.value?.data["i"], b.value?.data["i"]]).toEqual([3, 4]);
    await stream.return();
    await bus.close();
  });

  it("drop-newest keeps the first bufferSize events", async () => {
    const bus = newBus();
    const stream = bus.stream("n.*", { bufferSize: 2, overflow: "drop-newest" });
    for (let i = 0; i < 5; i++) await bus.emit(ev("n.x", { i }));
    expect(stream.dropped).toBe(3);
    expect((await stream.next()).value?.data["i"]).toBe(0);
    expect((await stream.next()).value?.data["i"]).toBe(1);
    await stream.return();
    await bus.close();
  });

  it("wait holds the emit until the reader makes room (backpressure), losing nothing", async () => {
    const bus = newBus();
    const stream = bus.stream("n.*", { bufferSize: 1, overflow: "wait" });
    await bus.emit(ev("n.x", { i: 0 }));
    let settled = false;
    const blocked = bus.emit(ev("n.x", { i: 1 })).then(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(bus.getStats().inFlight).toBe(1);
    expect((await stream.next()).value?.data["i"]).toBe(0);
    await blocked;
    expect((await stream.next()).value?.data["i"]).toBe(1);
    expect(stream.dropped).toBe(0);
    await stream.return();
    await bus.close();
  });

  it("throws an AbortError in the loop when the signal aborts, and unsubscribes", async () => {
    const bus = newBus();
    const controller = new AbortController();
    const stream = bus.stream("a.*", { signal: controller.signal });
    const loop = (async () => {
      for await (const _ of stream) controller.abort();
    })();
    await bus.emit(ev("a.b"));
    await expect(loop).rejects.toMatchObject({ name: "AbortError", code: "ABORT_ERR" });
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });

  it("ends after the buffered events when the bus closes, releasing emits blocked on it", async () => {
    const bus = newBus();
    const stream = bus.stream("a.*", { bufferSize: 1, overflow: "wait" });
    await bus.emit(ev("a.b", { i: 0 }));
    const blocked = bus.emit(ev("a.b", { i: 1 }));
    await bus.close();
    await blocked;
    const seen: unknown[] = [];
    for await (const e of stream) seen.push(e.data["i"]);
    expect(seen).toEqual([0, 1]);
    expect(bus.getSubscriptionCount()).toBe(0);
  });

  it("a handler that closes the bus while a wait stream is full: the emit and close() settle, the late event can be read", async () => {
    const bus = newBus();
    bus.subscribe("system.shutdown", () => void bus.close());
    const stream = bus.stream("*", { bufferSize: 1, overflow: "wait" });
    await bus.emit(ev("task.started"));
    // The stream's own handler runs after the closing one, within the same emit.
    const shutdown = bus.emit(ev("system.shutdown"));
    const closed = bus.close();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise((resolve) => (timer = setTimeout(() => resolve("hung"), 2000)));
    expect(await Promise.race([Promise.all([shutdown, closed]).then(() => "settled"), hung])).toBe("settled");
    clearTimeout(timer);
    const seen: string[] = [];
    for await (const e of stream) seen.push(e.eventType);
    expect(seen).toEqual(["task.started", "system.shutdown"]);
  });

  it("once a waiting reader was told done by a close, a late event of that emit is dropped and counted, not yielded", async () => {
    const bus = newBus();
    bus.subscribe("system.shutdown", () => void bus.close());
    const stream = bus.stream("*");
    const reading = stream.next();
    await bus.emit(ev("system.shutdown"));
    expect(await reading).toEqual({ value: undefined, done: true });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(stream.dropped).toBe(1);
  });

  it("after return() or an abort, an event of an emit already under way is not yielded", async () => {
    const bus = newBus();
    const held: { stream: ReturnType<typeof bus.stream> | null } = { stream: null };
    bus.subscribe("x", () => void held.stream!.return());
    const stream = (held.stream = bus.stream("x"));
    await bus.emit(ev("x"));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    const controller = new AbortController();
    bus.subscribe("y", () => controller.abort(new Error("stop")));
    const aborted = bus.stream("y", { signal: controller.signal });
    await bus.emit(ev("y"));
    await expect(aborted.next()).rejects.toMatchObject({ name: "AbortError" });
    expect(await aborted.next()).toEqual({ value: undefined, done: true });
  });

  it("refuses bad options without subscribing", () => {
    const bus = newBus();
    expect(() => bus.stream("a.*", { bufferSize: 0 })).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }) as Error,
    );
    expect(() => bus.stream("a.*", { overflow: "error" as never })).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }) as Error,
    );
    expect(bus.getSubscriptionCount()).toBe(0);
  });
});
