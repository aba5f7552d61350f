/**
 * Offloaded handlers (src/offload/): events of one subscription run on several threads, each
 * once, awaited before emit resolves and counted like any handler; a throwing, exiting, hanging
 * or uncloneable case fails only its own event; bad descriptors and modules are refused; maxQueue
 * bounds what is in flight; emitMany shares tasks; ordered subscriptions keep emit order; filters
 * run on the main thread; close() settles every emit called before it.
 */
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Piscina } from "piscina";
import { Event, offload, type EmitResult } from "../../src/index.js";
import { until } from "../support/async.js";
import { useBuses } from "../support/buses.js";
import { MemoryNetwork, MemoryTransport } from "../support/memory-transport.js";
import { countsByN, EXITS_ON_LOAD, HANDLERS } from "../support/offload.js";

const { watched } = useBuses({ closeTimeoutMs: 1000 });

afterEach(() => {
  vi.restoreAllMocks();
});

const jobs = (actions: string[], extra: Record<string, unknown> = {}) =>
  actions.map((action, n) => new Event("job.run", "test", { n, action, ...extra }));

function codes(results: EmitResult[]): (string | null)[] {
  return results.map((r) => r.errors[0]?.code ?? null);
}

describe("offload: running handlers in the worker pool", () => {
  it("runs the events of one subscription on more than one thread, each exactly once", async () => {
    const { bus, reports } = watched({ workers: { maxThreads: 2 } });
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const results = await bus.emitMany(jobs(Array(40).fill("cpu"), { ms: 3 }));
    expect(results.every((r) => r.matched === 1 && r.delivered === 1)).toBe(true);
    await until(() => reports.length >= 40, { message: "40 reports" });
    expect([...countsByN(reports).values()].every((c) => c === 1)).toBe(true);
    expect(new Set(reports.map((r) => r.thread)).size).toBeGreaterThanOrEqual(2);
    const stats = bus.getStats();
    expect(stats.workers.completed).toBe(40);
    expect(stats.delivered).toBe(40);
  });

  it("awaits the worker handler before emit resolves and counts it like any handler", async () => {
    const { bus, reports } = watched();
    bus.subscribe("job.run", offload(HANDLERS));
    bus.subscribe("job.run", () => undefined);
    const result = await bus.emit(new Event("job.run", "test", { n: 1 }));
    expect(result).toMatchObject({ matched: 2, delivered: 2, failed: 0 });
    await until(() => reports.length === 1, { message: "the worker's report" });
    expect(reports[0]!.eventId).toBe(result.eventId);
    const stats = bus.getStats();
    expect(stats.workers.threads).toBeGreaterThanOrEqual(1);
    expect(stats.workers.queueCapacity).toBe(1024);
    expect(stats.latency.samples).toBeGreaterThan(0);
  });

  it("a thread that cannot be made (the process at its thread limit) costs no event a second run", async () => {
    // The second thread the pool makes fails as Node fails it at the thread limit; the rest succeed.
    const threads = createRequire(import.meta.url)("node:worker_threads") as { Worker: typeof Worker };
    const Real = threads.Worker;
    let made = 0;
    threads.Worker = class extends Real {
      constructor(...args: ConstructorParameters<typeof Worker>) {
        if (++made === 2) throw Object.assign(new Error("EAGAIN"), { code: "ERR_WORKER_INIT_FAILED" });
        super(...args);
      }
    };
    try {
      const { bus, reports } = watched({ workers: { maxThreads: 2 } });
      bus.subscribe("job.*", offload(HANDLERS, "act"));
      const results = await Promise.all(jobs(["slow-async", "slow-async"], { ms: 50 }).map((e) => bus.emit(e)));
      expect(results.map((r) => r.delivered)).toEqual([1, 1]);
      await until(() => reports.length >= 2, { message: "both reports" });
      // Time for a queued copy of the batch to run, if one were left.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect([...countsByN(reports).entries()].sort()).toEqual([
        [0, 1],
        [1, 1],
      ]);
    } finally {
      threads.Worker = Real;
    }
  });

  it("stops a handler that hangs its thread while the main thread lags more than 100 ms a turn", async () => {
    const { bus } = watched({ workers: { maxThreads: 1 } });
    bus.subscribe("job.*", offload(HANDLERS, "act", { timeoutMs: 50 }));
    let result: EmitResult | null = null;
    const emitted = bus.emit(jobs(["hang"])[0]!).then((r) => (result = r));
    // The main thread works in 120 ms synchronous chunks, yielding between them, for up to 8 s.
    const end = Date.now() + 8000;
    while (result === null && Date.now() < end) {
      const chunkEnd = Date.now() + 120;
      while (Date.now() < chunkEnd);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(result, "the emit settled while the main thread was still lagging").not.toBeNull();
    expect(codes([(await emitted)!])).toEqual(["EBUS_HANDLER_TIMEOUT"]);
  });

  it("isolates a throwing, an exiting and a hanging handler: only their own events fail", async () => {
    const { bus, errors, reports } = watched({ workers: { maxThreads: 2 } });
    bus.subscribe("job.*", offload(HANDLERS, "act", { timeoutMs: 150 }));
    const actions = ["ok", "throw", "ok", "exit", "ok", "hang", "ok", "async-hang", "ok", "ok"];
    const results = await bus.emitMany(jobs(actions));
    expect(codes(results)).toEqual([
      null,
      "EBUS_HANDLER_FAILED",
      null,
      "EBUS_WORKER_CRASHED",
      null,
      "EBUS_HANDLER_TIMEOUT",
      null,
      "EBUS_HANDLER_TIMEOUT",
      null,
      null,
    ]);
    for (const r of results) expect(r.matched).toBe(r.delivered + r.filtered + r.failed);
    expect(errors.map((e) => e.code).sort()).toEqual([
      "EBUS_HANDLER_FAILED",
      "EBUS_HANDLER_TIMEOUT",
      "EBUS_HANDLER_TIMEOUT",
      "EBUS_WORKER_CRASHED",
    ]);
    await until(() => reports.length >= actions.length, { message: "one report per event" });
    // Exactly once: the worker counts every run, and every run reported itself once.
    expect([...countsByN(reports).entries()].filter(([, c]) => c !== 1)).toEqual([]);
    const stats = bus.getStats();
    expect(stats.workers.completed + stats.workers.failed).toBe(actions.length);
    expect(stats.workers.failed).toBe(4);
    expect(stats.failed).toBe(4);
    expect(stats.delivered).toBe(6);
    // The pool replaced its threads and the bus goes on.
    const after = await bus.emit(new Event("job.run", "test", { n: 99, action: "ok" }));
    expect(after.delivered).toBe(1);
  });

  it("wraps a worker handler's throw in EBUS_HANDLER_FAILED with the original error as cause", async () => {
    const { bus, errors } = watched();
    const id = bus.subscribe("job.*", offload(HANDLERS, "act"));
    const [result] = await bus.emitMany(jobs(["throw"]));
    const failure = result!.errors[0]!;
    expect(failure).toMatchObject({ code: "EBUS_HANDLER_FAILED", subscriptionId: id, pattern: "job.*" });
    expect((failure.cause as Error).message).toBe("boom 0");
    expect(errors).toEqual([failure]);
  });

  it("a worker handler that throws a value with no string form fails its own event only, as a handler failure", async () => {
    const { bus } = watched();
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const results = await bus.emitMany(jobs(["ok", "throw-unprintable", "ok", "throw-revoked"]));
    // A revoked Proxy too: the thread is not taken for dead (EBUS_WORKER_CRASHED).
    expect(codes(results)).toEqual([null, "EBUS_HANDLER_FAILED", null, "EBUS_HANDLER_FAILED"]);
    expect(results[1]!.errors[0]!.message).toMatch(/an object that cannot be turned into text/);
    expect(bus.getStats().workers).toMatchObject({ threads: expect.any(Number), completed: 2, failed: 2 });
  });

  it("a worker handler's thrown value is the cause as in-process: a string, an object, an Error's own fields", async () => {
    const { bus } = watched();
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const results = await bus.emitMany(jobs(["throw-string", "throw-object", "throw-coded"]));
    const causes = results.map((r) => r.errors[0]!.cause);
    expect(causes[0]).toBe("a string");
    expect(causes[1]).toEqual({ code: 7, message: "obj msg" });
    expect(causes[2]).toBeInstanceOf(Error);
    expect(causes[2]).toMatchObject({ message: "coded", code: "E_CODED", errno: -2 });
    expect((causes[2] as { notCloneable?: unknown }).notCloneable).toBeUndefined();
  });

  it("an error a handler leaves behind (a throwing timer, an unawaited rejection) fails no other event", async () => {
    const { bus, errors } = watched({ workers: { maxThreads: 1 } });
    const careless = bus.subscribe("careless.*", offload(HANDLERS, "act"));
    const innocent = bus.subscribe("innocent.*", offload(HANDLERS, "act"));
    const [a, b, c, d] = await bus.emitMany([
      new Event("careless.run", "test", { n: 1, action: "stray-throw", ms: 30 }),
      new Event("careless.run", "test", { n: 2, action: "stray-reject" }),
      // A DataCloneError of the handler's own, not of the batch's answer: a stray like the others.
      new Event("careless.run", "test", { n: 4, action: "stray-clone", ms: 40 }),
      new Event("innocent.run", "test", { n: 3, action: "slow-async", ms: 200 }),
    ]);
    // The innocent handler ran while the timers threw on its thread: it is delivered, not crashed.
    expect([a!.delivered, b!.delivered, c!.delivered, d!.delivered]).toEqual([1, 1, 1, 1]);
    expect(careless).not.toBe(innocent);
    const strays = errors.filter((e) => /threw outside its call/.test(e.message));
    expect(strays.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED", "EBUS_HANDLER_FAILED", "EBUS_HANDLER_FAILED"]);
    expect(strays.map((e) => (e.cause as Error).message).sort()).toEqual([
      "() => 1 could not be cloned.",
      "late throw of 1",
      "unawaited rejection of 2",
    ]);
    expect(strays.every((e) => e.subscriptionId === undefined)).toBe(true);
    expect(bus.getStats().workers).toMatchObject({ completed: 4, failed: 0 });
  });

  it("data made uncloneable after ctx.emit or a throw does not stop the batch's answer: what was sent is kept", async () => {
    const { bus } = watched({ workers: { maxThreads: 1 } });
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const followed: unknown[] = [];
    bus.subscribe("job.followed", (e) => void followed.push(e.data));
    const results = await bus.emitMany(jobs(["mutate-after-emit", "mutate-thrown", "slow-async"], { ms: 50 }));
    expect(results.map((r) => r.errors[0]?.code ?? "delivered")).toEqual([
      "delivered",
      "EBUS_HANDLER_FAILED",
      "delivered",
    ]);
    expect(followed).toEqual([{ n: 0 }]);
    expect(results[1]!.errors[0]!.cause).toEqual({ n: 1 });
    await bus.close(); // no timeout: nothing may stay pending
  });

  it("fails an uncloneable event with EBUS_NOT_CLONEABLE and delivers the rest of its batch", async () => {
    const { bus, reports } = watched();
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const events = jobs(Array(9).fill("ok"));
    events.splice(4, 0, new Event("job.run", "test", { n: 100, action: "ok", callback: () => 1 }));
    const results = await bus.emitMany(events);
    expect(codes(results)).toEqual([null, null, null, null, "EBUS_NOT_CLONEABLE", null, null, null, null, null]);
    await until(() => reports.length >= 9, { message: "nine reports" });
    expect(reports.map((r) => r.n).sort((a, b) => a! - b!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("refuses bad descriptors at subscribe, and a missing export at the first delivery", async () => {
    expect(() => offload("relative/path.mjs")).toThrow(expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }));
    expect(() => offload("/no/such/module.mjs")).toThrow(expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }));
    expect(() => offload(new URL("https://example.com/x.js"))).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }),
    );
    expect(() => offload(HANDLERS, "")).toThrow(expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }));
    expect(() => offload(HANDLERS, "act", { timeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }),
    );
    expect(() => offload(HANDLERS, "act", { retries: 1 } as never)).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }),
    );
    // A file URL with a host, a directory, the root: refused at once with the code, not a raw
    // TypeError, nor at every delivery.
    for (const module of ["file://server/share/h.mjs", new URL("file://server/share/h.mjs"), tmpdir(), "file:"])
      expect(() => offload(module)).toThrow(expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }));
    const { bus } = watched();
    // An object carrying the descriptor's brand but not made by offload() is not a descriptor.
    const brand = Symbol.for("@neurectomy/event-bus.OffloadHandler@1");
    expect(() => bus.subscribe("job.*", { [brand]: true } as never)).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_HANDLER" }),
    );
    bus.subscribe("job.*", offload(HANDLERS, "notAFunction"));
    bus.subscribe("job.*", offload(HANDLERS, "missing"));
    const result = await bus.emit(new Event("job.run", "test", { n: 1 }));
    expect(result.failed).toBe(2);
    expect(result.errors.map((e) => e.code)).toEqual(["EBUS_INVALID_HANDLER", "EBUS_INVALID_HANDLER"]);
    const missing = result.errors.find((e) => e.message.includes('"missing"'));
    expect(missing?.message).toContain("handlers.mjs");
  });

  it("fails a module that kills its thread while loading, without resending it forever", async () => {
    const { bus } = watched();
    bus.subscribe("job.*", offload(EXITS_ON_LOAD));
    const result = await bus.emit(new Event("job.run", "test", { n: 1 }));
    expect(result.errors.map((e) => e.code)).toEqual(["EBUS_WORKER_CRASHED"]);
  });

  it("never has more than maxQueue events in flight to the pool, and delivers them all", async () => {
    const { bus } = watched({ workers: { maxThreads: 2, maxQueue: 8, batchSize: 4 } });
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    let peak = 0;
    const pending = jobs(Array(120).fill("slow-async"), { ms: 1 }).map((e) => bus.emit(e));
    let settled = false;
    const all = Promise.all(pending).finally(() => {
      settled = true;
    });
    while (!settled) {
      peak = Math.max(peak, bus.getStats().workers.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await all;
    expect(results.every((r) => r.delivered === 1)).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(8);
    expect(bus.getStats().workers.inFlightPeak).toBeLessThanOrEqual(8);
    expect(bus.getStats().workers.inFlight).toBe(0);
  });

  it("lets emitMany's offloaded deliveries share Piscina tasks", async () => {
    const run = vi.spyOn(Piscina.prototype, "run");
    const { bus } = watched({ workers: { maxThreads: 2 } });
    bus.subscribe("job.*", offload(HANDLERS));
    const results = await bus.emitMany(jobs(Array(200).fill("ok")));
    expect(results.every((r) => r.delivered === 1)).toBe(true);
    expect(run.mock.calls.length).toBeGreaterThan(0);
    expect(run.mock.calls.length).toBeLessThanOrEqual(200 / 16);
  });

  it("keeps emit order for an ordered subscription", async () => {
    const { bus, reports } = watched({ workers: { maxThreads: 2, batchSize: 3 } });
    bus.subscribe("job.*", offload(HANDLERS, "act", { ordered: true }));
    const events = Array.from(
      { length: 30 },
      (_, n) => new Event("job.run", "test", { n, action: "slow-async", ms: (n * 7) % 4 }),
    );
    await Promise.all(events.map((e) => bus.emit(e)));
    await until(() => reports.length >= 30, { message: "thirty reports" });
    expect(reports.map((r) => r.n)).toEqual(events.map((_, n) => n));
  });

  it("an ordered subscription under maxQueue backpressure delivers every event, in order, and closes", async () => {
    for (const maxQueue of [1, 2, 4]) {
      const { bus, reports } = watched({ workers: { maxThreads: 1, maxQueue } });
      bus.subscribe("job.*", offload(HANDLERS, "act", { ordered: true }));
      const events = jobs(Array.from({ length: 10 }, () => "ok"));
      const results = await Promise.all(events.map((e) => bus.emit(e)));
      expect(results.map((r) => r.delivered)).toEqual(events.map(() => 1));
      await until(() => reports.length >= 10, { message: "ten reports" });
      expect(reports.map((r) => r.n)).toEqual(events.map((_, n) => n));
      expect(bus.getStats().workers.inFlight).toBe(0);
      await bus.close();
    }
  });

  it("runs the filter on the main thread: a filtered event never crosses", async () => {
    const { bus, reports } = watched();
    bus.subscribe("job.*", offload(HANDLERS, "act"), { filter: (e) => e.data["n"] !== 1 });
    const results = await bus.emitMany(jobs(["ok", "ok", "ok"]));
    expect(results.map((r) => [r.delivered, r.filtered])).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    await until(() => reports.length >= 2, { message: "two reports" });
    expect(reports.map((r) => r.n).sort()).toEqual([0, 2]);
  });
});

describe("offload: closing", () => {
  it("settles every emit called before close(), then rejects emits after it", async () => {
    const { bus } = watched({ workers: { maxThreads: 2, maxQueue: 16 } });
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const pending = jobs(Array(100).fill("slow-async"), { ms: 1 }).map((e) => bus.emit(e));
    await bus.close();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.delivered === 1)).toBe(true);
    await expect(bus.emit(new Event("job.run", "test"))).rejects.toMatchObject({ code: "EBUS_CLOSED" });
    expect(bus.getStats().workers.threads).toBe(0);
  });

  it("close({ timeoutMs }) fails what still runs with EBUS_CLOSED and leaves nothing pending", async () => {
    const { bus } = watched({ workers: { maxThreads: 1, maxQueue: 4, batchSize: 2 } });
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const pending = jobs(["async-hang", "ok", "ok", "ok", "ok", "ok"]).map((e) => bus.emit(e));
    await bus.close({ timeoutMs: 100 });
    const results = await Promise.all(pending);
    expect(results[0]!.errors.map((e) => e.code)).toEqual(["EBUS_CLOSED"]);
    for (const r of results) {
      expect(r.matched).toBe(1);
      expect(r.delivered + r.failed).toBe(1);
      for (const e of r.errors) expect(e.code).toBe("EBUS_CLOSED");
    }
  });

  it("close({ timeoutMs }) starts nothing that waited for room once it gives up", async () => {
    const { bus, reports } = watched({ workers: { maxThreads: 2, maxQueue: 2, batchSize: 2 } });
    bus.subscribe("job.*", offload(HANDLERS, "act", { ordered: true }));
    bus.subscribe("late.*", offload(HANDLERS, "act"));
    // A bridge slow to close keeps close() from stopping the pool for a while after it gave up.
    await bus.bridge(new MemoryTransport(new MemoryNetwork(), { export: [], closeDelayMs: 300 }));
    const held = bus.emitMany(jobs(["ok", "hang"]));
    await until(() => reports.length >= 2, { message: "the batch to reach the hang" });
    // Waits for room (maxQueue 2 is taken); a thread is free.
    const waiting = bus.emit(new Event("late.run", "test", { n: 9, action: "ok" }));
    await bus.close({ timeoutMs: 50 });
    expect((await waiting).errors.map((e) => e.code)).toEqual(["EBUS_CLOSED"]);
    expect((await held).map((r) => r.errors[0]?.code ?? "delivered")).toEqual(["delivered", "EBUS_CLOSED"]);
    expect(reports.filter((r) => r.n === 9)).toEqual([]);
  });

  it("close({ timeoutMs }) keeps the outcome of handlers that finished in a batch it gives up on, counted once", async () => {
    const { bus, reports } = watched({ workers: { maxThreads: 1, batchSize: 6 } });
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const pending = bus.emitMany(jobs(["ok", "throw", "ok", "hang", "ok", "ok"]));
    // The first three have run (the hang holds the thread): then close gives up on the batch.
    await until(() => reports.length >= 4, { message: "the batch to reach the hang" });
    await bus.close({ timeoutMs: 50 });
    const results = await pending;
    expect(results.map((r) => r.errors[0]?.code ?? "delivered")).toEqual([
      "delivered",
      "EBUS_HANDLER_FAILED",
      "delivered",
      "EBUS_CLOSED",
      "EBUS_CLOSED",
      "EBUS_CLOSED",
    ]);
    expect(results[1]!.errors[0]!.message).toMatch(/close\(\) timed out before the batch answered/);
    // Each delivery counted once: the worker's own count of the finished ones is not doubled.
    const stats = bus.getStats();
    expect(stats.delivered).toBe(2);
    expect(stats.failed).toBe(4);
    // workers.failed counts what failed in a thread; EBUS_CLOSED is the bus giving up, not one.
    expect(stats.workers).toMatchObject({ completed: 2, failed: 1 });
  });
});
