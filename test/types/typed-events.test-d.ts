/**
 * Type tests of typed event maps (vitest typecheck): subscribe, filters, on(), waitFor() and
 * stream() give the payloads a pattern can match; emit accepts only fitting payloads; define()
 * schemas are checked against the map; the 19 seed types are typed from their schemas.
 */
import { describe, expectTypeOf, it } from "vitest";
import {
  Event,
  EventBus,
  EventType,
  offload,
  type EventStream,
  type PayloadSchema,
  type SeedEvents,
  type Unsubscribe,
} from "../../src/index.js";

interface Events {
  "task.completed": { task_id: string; duration?: number };
  "task.failed": { task_id: string; error: string };
  "task.step.done": { step: number };
  "agent.a1.heartbeat": { load: number };
  "workflow.failed": { workflow_id: string };
}

const bus = new EventBus<Events>();

describe("typed subscribe", () => {
  it("gives the payload of an exact type", () => {
    bus.subscribe("task.completed", (e) => {
      expectTypeOf(e.eventType).toEqualTypeOf<"task.completed">();
      expectTypeOf(e.data).toEqualTypeOf<{ task_id: string; duration?: number }>();
      expectTypeOf(e.data.task_id).toBeString();
    });
  });

  it("gives the union of the payloads a prefix wildcard can match, at any depth", () => {
    bus.subscribe("task.*", (e) => {
      expectTypeOf(e.eventType).toEqualTypeOf<"task.completed" | "task.failed" | "task.step.done">();
      if (e.eventType === "task.failed") expectTypeOf(e.data.error).toBeString();
    });
    bus.subscribe("ta*", (e) => {
      expectTypeOf(e.eventType).toEqualTypeOf<"task.completed" | "task.failed" | "task.step.done">();
    });
    bus.subscribe("task.s*", (e) => {
      expectTypeOf(e.eventType).toEqualTypeOf<"task.step.done">();
    });
  });

  it("treats an interior * as exactly one segment", () => {
    bus.subscribe("*.failed", (e) => {
      expectTypeOf(e.eventType).toEqualTypeOf<"task.failed" | "workflow.failed">();
      expectTypeOf(e.data).toEqualTypeOf<{ task_id: string; error: string } | { workflow_id: string }>();
    });
    bus.subscribe("agent.*.heartbeat", (e) => {
      expectTypeOf(e.data.load).toBeNumber();
    });
  });

  it("gives every event to *", () => {
    bus.subscribe("*", (e) => {
      expectTypeOf(e.eventType).toEqualTypeOf<keyof Events>();
    });
  });

  it("refuses a pattern that matches no type of the map, and a wrong payload key", () => {
    // @ts-expect-error: no type of Events is under "storage."
    bus.subscribe("storage.*", () => undefined);
    // @ts-expect-error: "*.failed" does not match the three-segment "task.step.done"
    bus.subscribe("*.done", () => undefined);
    // @ts-expect-error: task.completed has no `error`
    bus.subscribe("task.completed", (e) => e.data.error);
  });

  it("types filters, on(), waitFor() and stream() the same way", () => {
    bus.subscribe("task.failed", () => undefined, { filter: (e) => e.data.error.length > 0 });
    expectTypeOf(bus.on("task.completed", () => undefined)).toEqualTypeOf<Unsubscribe>();
    expectTypeOf(bus.waitFor("task.completed")).resolves.toEqualTypeOf<
      Event<"task.completed", { task_id: string; duration?: number }>
    >();
    expectTypeOf(bus.stream("workflow.*")).toEqualTypeOf<
      EventStream<Event<"workflow.failed", { workflow_id: string }>>
    >();
    // @ts-expect-error: the filter sees task.completed payloads, which have no `error`
    void bus.waitFor("task.completed", { filter: (e) => e.data.error === "x" });
  });

  it("accepts offload() descriptors", () => {
    bus.subscribe("task.*", offload("/abs/handler.js"));
  });
});

describe("typed emit", () => {
  it("accepts events whose payload fits their type, extra keys included", () => {
    void bus.emit(new Event("task.completed", "w1", { task_id: "t1", duration: 5.2, extra: true }));
    void bus.emitMany([new Event("task.failed", "w1", { task_id: "t1", error: "boom" })]);
  });

  it("refuses a wrong payload shape, a missing key and an unknown type", () => {
    // @ts-expect-error: task_id must be a string
    void bus.emit(new Event("task.completed", "w1", { task_id: 42 }));
    // @ts-expect-error: task.failed needs `error`
    void bus.emit(new Event("task.failed", "w1", { task_id: "t1" }));
    // @ts-expect-error: not a type of this bus
    void bus.emit(new Event("custom.thing", "w1", {}));
    // @ts-expect-error: an untyped Event (e.g. from Event.fromDict) must go through bus.validate
    void bus.emit(Event.fromDict({}));
    expectTypeOf(bus.validate(Event.fromDict({}))).toEqualTypeOf<
      | Event<"task.completed", { task_id: string; duration?: number }>
      | Event<"task.failed", { task_id: string; error: string }>
      | Event<"task.step.done", { step: number }>
      | Event<"agent.a1.heartbeat", { load: number }>
      | Event<"workflow.failed", { workflow_id: string }>
    >();
  });

  it("checks define() schemas against the map", async () => {
    const { z } = await import("zod");
    bus.define("task.completed", z.object({ task_id: z.string(), duration: z.number().optional() }));
    // @ts-expect-error: the schema's output does not fit task.failed's payload
    bus.define("task.failed", z.object({ task_id: z.number() }));
  });

  it("refuses schemas that accept more than the payload type (the bus validates, it does not transform)", async () => {
    const { z } = await import("zod");
    // @ts-expect-error: z.coerce.number() accepts "5", which would reach a handler typed number
    bus.define("task.step.done", z.object({ step: z.coerce.number() }));
    // @ts-expect-error: a default lets {} through for a payload whose `step` is required
    bus.define("task.step.done", z.object({ step: z.number().default(1) }));
    // @ts-expect-error: the transform's input is a string, not the payload's number
    bus.define("task.step.done", z.object({ step: z.string().transform(Number) }));
    // A refinement narrows what is accepted without changing the type: fine.
    bus.define("task.step.done", z.object({ step: z.number().int().min(0) }));
    // A PayloadSchema still parses to its payload type.
    const schema: PayloadSchema<{ task_id: string }> = z.object({ task_id: z.string() });
    expectTypeOf(schema.parse({ task_id: "t" }).task_id).toBeString();
  });
});

describe("seed events", () => {
  it("types the 19 seed types from their schemas, with enum members as types", () => {
    const seed = new EventBus<SeedEvents>();
    seed.subscribe(EventType.AGENT_HEARTBEAT, (e) => {
      expectTypeOf(e.data.agent_id).toBeString();
      expectTypeOf(e.data.status).toEqualTypeOf<string | undefined>();
    });
    void seed.emit(new Event(EventType.TASK_COMPLETED, "w1", { task_id: "t1", duration: 5.2 }));
    // @ts-expect-error: task_id is required by the seed schema
    void seed.emit(new Event(EventType.TASK_COMPLETED, "w1", { duration: 5.2 }));
  });
});

describe("untyped use is unchanged", () => {
  it("takes any pattern and any Event, with Record payloads", () => {
    const plain = new EventBus();
    plain.subscribe("anything.at.all", (e) => {
      expectTypeOf(e).toEqualTypeOf<Event>();
      expectTypeOf(e.data).toEqualTypeOf<Record<string, unknown>>();
    });
    void plain.emit(new Event("custom.thing", "w1", { whatever: 1 }));
    void plain.emit(Event.fromDict({}));
    const pattern: string = "task.*";
    plain.subscribe(pattern, () => undefined);
    expectTypeOf(plain.waitFor("x")).resolves.toEqualTypeOf<Event>();
  });

  it("still lets a handler declare its own event type, as before", () => {
    const plain = new EventBus();
    plain.subscribe("task.completed", (e: Event<"task.completed", { task_id: string }>) => e.data.task_id);
    plain.subscribe<Event<"task.completed", { task_id: string }>>("task.completed", (e) => {
      expectTypeOf(e.data.task_id).toBeString();
    });
  });
});
