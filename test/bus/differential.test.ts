/**
 * The whole bus against the reference matcher on random workloads: subscribe, unsubscribe and
 * emit with random patterns and topics; who received what, in subscription order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Event, EventBus } from "../../src/index.js";
import { patternArb, richPatternArb, richTopicArb, topicArb } from "../support/arbitraries.js";
import { referenceMatches } from "../support/reference-matcher.js";

type Op =
  | { kind: "subscribe"; pattern: string; async: boolean }
  | { kind: "unsubscribe"; pick: number }
  | { kind: "unsubscribeUnknown" }
  | { kind: "emit"; topic: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("subscribe" as const), pattern: patternArb, async: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("unsubscribe" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unsubscribeUnknown" as const) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("emit" as const), topic: topicArb }) },
);

interface ModelSub {
  id: string;
  pattern: string;
}

describe("EventBus vs the reference matcher", () => {
  it("delivers each event to exactly the matching subscriptions, in subscription order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const bus = new EventBus({ maxHistory: 10 });
        let model: ModelSub[] = [];
        let received: { id: string; eventId: string }[] = [];
        let emitted = 0;
        for (const op of ops) {
          if (op.kind === "subscribe") {
            const holder: { id: string } = { id: "" };
            const handler = op.async
              ? async (e: Event) => {
                  received.push({ id: holder.id, eventId: e.eventId });
                  await Promise.resolve();
                }
              : (e: Event) => {
                  received.push({ id: holder.id, eventId: e.eventId });
                };
            holder.id = bus.subscribe(op.pattern, handler);
            expect(
              model.some((s) => s.id === holder.id),
              "ids are unique",
            ).toBe(false);
            model.push({ id: holder.id, pattern: op.pattern });
          } else if (op.kind === "unsubscribe") {
            if (model.length === 0) continue;
            const sub = model[op.pick % model.length]!;
            expect(bus.unsubscribe(sub.id)).toBe(true);
            expect(bus.unsubscribe(sub.id)).toBe(false);
            model = model.filter((s) => s !== sub);
          } else if (op.kind === "unsubscribeUnknown") {
            expect(bus.unsubscribe("no-such-subscription")).toBe(false);
          } else {
            received = [];
            const event = new Event(op.topic, "diff");
            const result = await bus.emit(event);
            emitted++;
            const want = model
              .filter((s) => referenceMatches(s.pattern, op.topic))
              .map((s) => ({ id: s.id, eventId: event.eventId }));
            expect(received).toEqual(want);
            expect(result).toEqual({
              eventId: event.eventId,
              matched: want.length,
              delivered: want.length,
              filtered: 0,
              failed: 0,
              errors: [],
            });
          }
          expect(bus.getSubscriptionCount()).toBe(model.length);
        }
        for (const pattern of new Set(model.map((s) => s.pattern))) {
          expect(bus.getSubscriptionCount(pattern)).toBe(model.filter((s) => s.pattern === pattern).length);
        }
        const stats = bus.getStats();
        expect(new Set(stats.patterns)).toEqual(new Set(model.map((s) => s.pattern)));
        expect(stats.patterns.length).toBe(new Set(model.map((s) => s.pattern)).size);
        expect(stats.totalSubscriptions).toBe(model.length);
        expect(stats.totalEventsEmitted).toBe(emitted);
        expect(stats.inFlight).toBe(0);
        await bus.close();
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ["a small alphabet", patternArb, topicArb],
    ["regex metacharacters, astral characters and prototype names", richPatternArb, richTopicArb],
  ])(
    "emitMany of random topics reaches the same subscribers, event after event (%s)",
    async (_name, patterns$, topics$) => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(patterns$, { minLength: 1, maxLength: 20 }),
          fc.array(topics$, { minLength: 1, maxLength: 20 }),
          async (patterns, topics) => {
            const bus = new EventBus();
            const received: string[] = [];
            for (const pattern of patterns)
              bus.subscribe(pattern, (e) => void received.push(`${pattern} <- ${e.eventType}`));
            const results = await bus.emitMany(topics.map((t) => new Event(t, "diff")));
            const want = topics.flatMap((t) =>
              patterns.filter((p) => referenceMatches(p, t)).map((p) => `${p} <- ${t}`),
            );
            expect(received).toEqual(want);
            expect(results.map((r) => r.matched)).toEqual(
              topics.map((t) => patterns.filter((p) => referenceMatches(p, t)).length),
            );
            await bus.close();
          },
        ),
        { numRuns: 100 },
      );
    },
  );
});
