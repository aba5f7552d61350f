/**
 * Type tests of the public API (vitest typecheck): what a TypeScript user may rely on.
 */
import { describe, expectTypeOf, it } from "vitest";
import type { BusError, InvalidPatternError } from "../../src/index.js";
import {
  Event,
  EventBus,
  EventType,
  type BusErrorCode,
  type BusStats,
  type EmitResult,
  type EventDict,
  type HistoryQuery,
} from "../../src/index.js";

describe("public types", () => {
  it("Event carries its type and data types", () => {
    const event = new Event(EventType.TASK_COMPLETED, "w", { task_id: "t1" });
    expectTypeOf(event.eventType).toEqualTypeOf<EventType.TASK_COMPLETED>();
    expectTypeOf(event.data).toEqualTypeOf<{ task_id: string }>();
    expectTypeOf(event.timestamp).toEqualTypeOf<Date>();
    expectTypeOf(event.toDict()).toEqualTypeOf<EventDict>();
    expectTypeOf(Event.fromDict).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(Event.fromDict(null)).toEqualTypeOf<Event>();
  });

  it("EventDict is the snake_case wire format", () => {
    expectTypeOf<keyof EventDict>().toEqualTypeOf<"event_id" | "event_type" | "source" | "timestamp" | "data">();
  });

  it("EventBus methods have their documented shapes", () => {
    const bus = new EventBus();
    expectTypeOf(bus.subscribe("a", () => {})).toEqualTypeOf<string>();
    expectTypeOf(bus.unsubscribe).returns.toEqualTypeOf<boolean>();
    expectTypeOf(bus.emit).returns.toEqualTypeOf<Promise<EmitResult>>();
    expectTypeOf(bus.emitMany).returns.toEqualTypeOf<Promise<EmitResult[]>>();
    expectTypeOf(bus.getHistory).returns.toEqualTypeOf<Event[]>();
    expectTypeOf(bus.getHistory).parameter(0).toEqualTypeOf<HistoryQuery | undefined>();
    expectTypeOf(bus.getSubscriptionCount).returns.toEqualTypeOf<number>();
    expectTypeOf(bus.getStats).returns.toEqualTypeOf<BusStats>();
    expectTypeOf(bus.close).returns.toEqualTypeOf<Promise<void>>();
    // @ts-expect-error a misspelt option is a type error too
    new EventBus({ maxHistroy: 1 });
    // @ts-expect-error filter must be a function
    bus.subscribe("a", () => {}, { filter: true });
  });

  it("EmitResult and BusStats hold the documented keys", () => {
    expectTypeOf<keyof EmitResult>().toEqualTypeOf<
      "eventId" | "matched" | "delivered" | "filtered" | "failed" | "errors"
    >();
    expectTypeOf<EmitResult["errors"]>().toEqualTypeOf<BusError[]>();
    expectTypeOf<BusStats>().toHaveProperty("eventCounts").toEqualTypeOf<Record<string, number>>();
    expectTypeOf<BusStats["workers"]>().toEqualTypeOf<{
      threads: number;
      inFlight: number;
      inFlightPeak: number;
      completed: number;
      failed: number;
      followUps: number;
      followUpsDropped: number;
      queueCapacity: number;
    }>();
  });

  it("error codes are literal types", () => {
    expectTypeOf<InvalidPatternError["code"]>().toEqualTypeOf<"EBUS_INVALID_PATTERN">();
    expectTypeOf<BusError["code"]>().toEqualTypeOf<BusErrorCode>();
    expectTypeOf<"EBUS_CLOSED">().toExtend<BusErrorCode>();
  });
});
