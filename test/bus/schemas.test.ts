/**
 * Payload schemas (src/bus/schemas.ts, src/schemas/seed.ts): define() checks payloads at emit and
 * at validate(), refusing a bad one with EBUS_INVALID_EVENT before anything is dispatched, stored
 * or counted; seedSchemas has one schema per seed type, accepts the documented examples and every
 * event of the demo workload, and refuses payloads without their identifying key.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Event, EventBus, EventType, seedSchemas, type SeedEvents } from "../../src/index.js";
import { expectRejectCode } from "../support/assertions.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

describe("define(): payload schemas checked at emit", () => {
  it("rejects a bad payload with EBUS_INVALID_EVENT, zod issues as cause, and dispatches, stores and counts nothing", async () => {
    const bus = newBus();
    bus.define("task.completed", z.looseObject({ task_id: z.string() }));
    const seen: Event[] = [];
    bus.subscribe("*", (e) => void seen.push(e));
    const busError = await expectRejectCode(
      bus.emit(new Event("task.completed", "w1", { task_id: 42 })),
      "EBUS_INVALID_EVENT",
    );
    expect(Array.isArray(busError.cause)).toBe(true);
    expect((busError.cause as { path: unknown[] }[])[0]?.path).toEqual(["task_id"]);
    expect(seen).toEqual([]);
    expect(bus.getHistory()).toEqual([]);
    const stats = bus.getStats();
    expect(stats.totalEventsEmitted).toBe(0);
    expect(stats.eventCounts).toEqual({});
    await bus.close();
  });

  it("lets valid payloads, extra keys with a loose schema, and types without a schema through", async () => {
    const bus = newBus();
    bus.define("task.completed", z.looseObject({ task_id: z.string() }));
    const ok = await bus.emit(new Event("task.completed", "w1", { task_id: "t1", extra: 1 }));
    expect(ok.eventId).toBeTypeOf("string");
    await bus.emit(new Event("other.type", "w1", { anything: true }));
    expect(bus.getStats().totalEventsEmitted).toBe(2);
    await bus.close();
  });

  it("emitMany rejects before emitting any event when one fails its schema", async () => {
    const bus = newBus();
    bus.define("a.b", z.object({ n: z.number() }));
    await expectRejectCode(
      bus.emitMany([new Event("a.b", "s", { n: 1 }), new Event("a.b", "s", { n: "x" })]),
      "EBUS_INVALID_EVENT",
    );
    expect(bus.getHistory()).toEqual([]);
    await bus.close();
  });

  it("validate() checks a wire event for a transport and throws the same error", () => {
    const bus = newBus();
    bus.define("a.b", z.object({ n: z.number() }));
    const good = Event.fromDict({
      event_id: "1",
      event_type: "a.b",
      source: "s",
      timestamp: "2026-01-01T00:00:00Z",
      data: { n: 1 },
    });
    expect(bus.validate(good)).toBe(good);
    const bad = Event.fromDict({
      event_id: "2",
      event_type: "a.b",
      source: "s",
      timestamp: "2026-01-01T00:00:00Z",
      data: { n: "1" },
    });
    expect(() => bus.validate(bad)).toThrow(expect.objectContaining({ code: "EBUS_INVALID_EVENT" }) as Error);
  });

  it("refuses a non-schema and an invalid type", () => {
    const bus = newBus();
    expect(() => bus.define("a.b", {} as never)).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }) as Error,
    );
    expect(() => bus.define("a..b", z.object({}))).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_EVENT" }) as Error,
    );
  });

  it("defineAll installs every schema or, when one entry is refused, none", async () => {
    const bus = newBus();
    expect(() => bus.defineAll({ "c.d": z.object({ n: z.number() }), "e.f": 5 } as never)).toThrow(
      expect.objectContaining({
        code: "EBUS_INVALID_OPTIONS",
        message: expect.stringMatching(/"e\.f"/) as string,
      }) as Error,
    );
    expect(() => bus.defineAll({ "c.d": z.object({ n: z.number() }), "bad..type": z.object({}) } as never)).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_EVENT" }) as Error,
    );
    // c.d's schema was not installed by either call.
    expect(await bus.emit(new Event("c.d", "s", { n: "x" }))).toMatchObject({ matched: 0, failed: 0 });
    bus.defineAll({ "c.d": z.object({ n: z.number() }) } as never);
    await expectRejectCode(bus.emit(new Event("c.d", "s", { n: "x" })), "EBUS_INVALID_EVENT");
  });

  it("a hand-made schema whose safeParse returns no zod result rejects the emit; it does not throw", async () => {
    const bus = newBus();
    bus.define("a.b", { safeParse: () => undefined } as never);
    bus.define("c.d", { safeParse: () => ({ success: false, error: { issues: [42] } }) } as never);
    const err = await expectRejectCode(bus.emit(new Event("a.b", "s")), "EBUS_INVALID_EVENT");
    expect(err.message).toMatch(/returned no \{ success \} result from safeParse: use a zod schema/);
    await expectRejectCode(bus.emit(new Event("c.d", "s")), "EBUS_INVALID_EVENT");
    expect(() => bus.validate(new Event("a.b", "s"))).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_EVENT" }) as Error,
    );
    await expectRejectCode(bus.emitMany([new Event("a.b", "s")]), "EBUS_INVALID_EVENT");
  });

  it("rejects, rather than throws, when a schema cannot run synchronously", async () => {
    const bus = newBus();
    bus.define(
      "a.b",
      z.object({ n: z.number() }).refine(async () => true),
    );
    const err = await expectRejectCode(bus.emit(new Event("a.b", "s", { n: 1 })), "EBUS_INVALID_EVENT");
    expect(err.message).toMatch(/could not run synchronously \(an async refinement or transform\)/);
    await bus.close();
  });

  it("a schema whose own code throws is named as such, not as an async one", async () => {
    const bus = newBus();
    bus.define(
      "a.b",
      z.object({ x: z.string() }).superRefine(() => {
        throw new Error("bug in my refinement");
      }),
    );
    const err = await expectRejectCode(bus.emit(new Event("a.b", "s", { x: "1" })), "EBUS_INVALID_EVENT");
    expect(err.message).toMatch(/the schema of "a\.b" threw: bug in my refinement/);
    expect((err.cause as Error).message).toBe("bug in my refinement");
  });
});

describe("seedSchemas", () => {
  it("has one schema per seed type", () => {
    expect(Object.keys(seedSchemas).sort()).toEqual(Object.values(EventType).sort());
  });

  it("accepts the seed documentation's example payloads, extra keys included", async () => {
    const bus = new EventBus<SeedEvents>().defineAll(seedSchemas);
    await bus.emit(new Event(EventType.TASK_STARTED, "workflow_1", { task_id: "t1" }));
    await bus.emit(new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1", duration: 5.2 }));
    await bus.emit(new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1", result: { rows: 3 } }));
    await bus.emit(
      new Event(EventType.TASK_FAILED, "workflow_1", { task_id: "t1", error: "boom", critical: true, reason: "disk" }),
    );
    await bus.emit(
      new Event(EventType.AGENT_HEARTBEAT, "supervisor", {
        agent_id: "a1",
        status: "healthy",
        last_heartbeat: "2026-01-01T00:00:00",
      }),
    );
    await bus.emit(new Event(EventType.AGENT_FAILED, "supervisor", { agent_id: "a1", error: null }));
    await bus.emit(new Event(EventType.INFO_LOGGED, "svc", { message: "hello", extra: [1, 2] }));
    expect(bus.getStats().totalEventsEmitted).toBe(7);
    await bus.close();
  });

  it("rejects a payload without its identifying key or with a wrongly typed field", async () => {
    const bus = new EventBus<SeedEvents>().defineAll(seedSchemas);
    for (const event of [
      new Event(EventType.TASK_COMPLETED, "w", { duration: 5 } as never),
      new Event(EventType.AGENT_HEARTBEAT, "w", { agent_id: "" }),
      new Event(EventType.TASK_COMPLETED, "w", { task_id: "t", duration: "5s" } as never),
      new Event(EventType.WARNING_ISSUED, "w", {} as never),
    ]) {
      await expectRejectCode(bus.emit(event), "EBUS_INVALID_EVENT");
    }
    expect(bus.getStats().totalEventsEmitted).toBe(0);
    await bus.close();
  });
});

describe("seedSchemas against the demo workload", () => {
  it("accept every event the demo's simulated Neurectomy workload emits", async () => {
    const { LoadDriver } = await import("../../src/cli/load-driver.js");
    const { runWorkload } = await import("../../src/cli/workflow.js");
    const { seededRandom } = await import("../../src/seeded-random.js");
    const bus = newBus().defineAll(seedSchemas);
    const driver = new LoadDriver(bus, { events: 3000, deadline: Number.POSITIVE_INFINITY, maxConcurrent: 64 });
    await runWorkload(driver, seededRandom(7));
    await driver.drain();
    expect(driver.rejections).toEqual([]);
    expect(driver.sent.total).toBe(3000);
    expect(bus.getStats().totalEventsEmitted).toBe(3000);
    expect(Object.keys(bus.getStats().eventCounts).length).toBeGreaterThanOrEqual(15);
    await bus.close();
  });
});
