/**
 * Model-based fuzzing: random programs of subscribe / unsubscribe (also from inside handlers) /
 * emit / emitMany / clearHistory / resetStats, with sync, async, throwing, filtered and once
 * handlers, run against the bus and against BusModel; after every step the two must agree on who
 * received what in what order, the history, every EmitResult and every stats counter.
 */
import { describe, expect, it } from "vitest";
import { Event, EventBus, type BusError, type EmitResult } from "../../src/index.js";
import { BusModel, type FilterKind, type HandlerKind, type ModelEvent, type ModelSub } from "../support/bus-model.js";
import { PATTERN_TABLE } from "../support/pattern-table.js";
import { hops } from "../support/async.js";
import { LONG, rng, SEED, size } from "../support/random.js";

const WORDS = ["a", "b", "ab", "task", "x"];

type Random = ReturnType<typeof rng>;

function randomType(r: Random): string {
  return Array.from({ length: 1 + r.int(3) }, () => r.pick(WORDS)).join(".");
}

function randomPattern(r: Random): string {
  const segments = Array.from({ length: 1 + r.int(3) }, () => r.pick(WORDS));
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) if (r.next() < 0.25) segments[i] = "*";
  const roll = r.next();
  if (roll < 0.2) segments[last] = "*";
  else if (roll < 0.4) segments[last] = `${segments[last]!.slice(0, r.int(segments[last]!.length + 1))}*`;
  return segments.join(".");
}

const latency = () => hops(Math.floor(Math.random() * 6));

class Harness {
  readonly model: BusModel;
  readonly bus: EventBus;
  readonly errors: BusError[] = [];
  readonly calls: string[] = [];
  readonly lateCalls: string[] = [];
  readonly ids = new Map<string, string>();
  private spawned = 0;
  private labels = 0;
  private n = 0;
  /** Failures the model predicted since the start (resetStats does not touch onError). */
  failuresExpected = 0;
  /** Emits not awaited yet, with the outcome the model predicted for each. */
  private outstanding: { promise: Promise<EmitResult | EmitResult[]>; expected: EmitResult[] }[] = [];

  constructor(private readonly r: Random) {
    const maxHistory = r.pick([0, 1, 5, 1000]);
    this.model = new BusModel(maxHistory);
    this.bus = new EventBus({ maxHistory, onError: (e) => this.errors.push(e) });
  }

  private handlerFor(label: string, spec: ModelSub): (e: Event) => unknown {
    return (event) => {
      (spec.filter === "async-even" ? this.lateCalls : this.calls).push(`${label}:${event.eventId}`);
      if (spec.unsubscribes !== null) this.bus.unsubscribe(this.ids.get(spec.unsubscribes) ?? "");
      if (spec.subscribes !== null) this.subscribeSpawn(spec.subscribes);
      switch (spec.handler) {
        case "sync":
          return undefined;
        case "throw":
          throw new Error(`${label} throws`);
        case "async":
          return latency();
        case "async-throw":
          return latency().then(() => {
            throw new Error(`${label} rejects`);
          });
      }
    };
  }

  private subscribeSpawn(pattern: string): void {
    const label = `spawn${this.spawned++}`;
    this.ids.set(
      label,
      this.bus.subscribe(pattern, (e: Event) => void this.calls.push(`${label}:${e.eventId}`)),
    );
  }

  private filterFor(kind: FilterKind): ((e: Event) => boolean | Promise<boolean>) | undefined {
    const even = (e: Event) => (e.data.n as number) % 2 === 0;
    switch (kind) {
      case "none":
        return undefined;
      case "even":
        return even;
      case "throws":
        return () => {
          throw new Error("filter throws");
        };
      case "async-even":
        return async (e) => {
          await latency();
          return even(e);
        };
    }
  }

  subscribe(): void {
    const r = this.r;
    const label = `s${this.labels++}`;
    const filter = r.pick<FilterKind>(["none", "none", "even", "throws", "async-even"]);
    const inline = filter !== "async-even";
    const live = [...this.ids.keys()];
    const spec: ModelSub = {
      label,
      pattern: randomPattern(r),
      handler: r.pick<HandlerKind>(["sync", "sync", "async", "throw", "async-throw"]),
      filter,
      // once and handler side effects only where their timing is fixed (no async filter).
      once: inline && r.next() < 0.2,
      unsubscribes: inline && live.length > 0 && r.next() < 0.15 ? r.pick(live) : null,
      subscribes: inline && r.next() < 0.05 ? randomPattern(r) : null,
    };
    const filterFn = this.filterFor(filter);
    const options = { ...(filterFn === undefined ? {} : { filter: filterFn }), ...(spec.once ? { once: true } : {}) };
    this.ids.set(label, this.bus.subscribe(spec.pattern, this.handlerFor(label, spec), options));
    this.model.subscribe(spec);
  }

  unsubscribe(): void {
    const labels = [...this.ids.keys()];
    const label = labels.length === 0 || this.r.next() < 0.1 ? "nobody" : this.r.pick(labels);
    expect(this.bus.unsubscribe(this.ids.get(label) ?? "no-such-id")).toBe(this.model.unsubscribe(label));
  }

  private event(): { event: Event; model: ModelEvent } {
    const type = randomType(this.r);
    const n = this.n++;
    const event = new Event(type, "fuzz", { n });
    return { event, model: { id: event.eventId, type, n } };
  }

  private expectedResult(model: ModelEvent): EmitResult {
    const o = this.model.emit(model);
    this.failuresExpected += o.failed;
    return { eventId: model.id, ...o, errors: [] };
  }

  async emit(awaited: boolean): Promise<void> {
    const { event, model } = this.event();
    const promise = this.bus.emit(event);
    const expected = [this.expectedResult(model)];
    if (awaited) compare([await promise], expected);
    else this.outstanding.push({ promise, expected });
  }

  async emitMany(awaited: boolean): Promise<void> {
    const made = Array.from({ length: this.r.int(5) }, () => this.event());
    const promise = this.bus.emitMany(made.map((m) => m.event));
    const expected = made.map((m) => this.expectedResult(m.model));
    if (awaited) compare(await promise, expected);
    else this.outstanding.push({ promise, expected });
  }

  async settle(): Promise<void> {
    for (const { promise, expected } of this.outstanding.splice(0)) {
      const got = await promise;
      compare(Array.isArray(got) ? got : [got], expected);
    }
  }

  /** resetStats zeroes what has been counted: emits still running would be counted after it. */
  async resetStats(): Promise<void> {
    await this.settle();
    this.bus.resetStats();
    this.model.resetStats();
  }

  clearHistory(): void {
    this.bus.clearHistory();
    this.model.history = [];
  }

  check(): void {
    const { bus, model } = this;
    expect(this.calls).toEqual(model.calls);
    expect(bus.getHistory().map((e) => e.eventId)).toEqual(model.history.map((e) => e.id));
    const stats = bus.getStats();
    expect(stats.totalEventsEmitted).toBe(model.total);
    expect(stats.eventCounts).toEqual(Object.fromEntries(model.counts));
    expect(stats.totalSubscriptions).toBe(model.subs.length);
    expect([...stats.patterns].sort()).toEqual(model.patterns());
    expect(stats.historySize).toBe(model.history.length);
    for (const pattern of model.patterns())
      expect(bus.getSubscriptionCount(pattern)).toBe(model.subs.filter((s) => s.pattern === pattern).length);
    if (this.outstanding.length === 0) {
      expect([...this.lateCalls].sort()).toEqual([...model.lateCalls].sort());
      expect({
        delivered: stats.delivered,
        filteredOut: stats.filteredOut,
        failed: stats.failed,
        inFlight: stats.inFlight,
      }).toEqual({
        delivered: model.delivered,
        filteredOut: model.filteredOut,
        failed: model.failed,
        inFlight: 0,
      });
    }
  }
}

function compare(got: EmitResult[], expected: EmitResult[]): void {
  expect(got.map(({ errors, ...counts }) => ({ ...counts, codes: errors.map((e) => e.code) }))).toEqual(
    expected.map(({ errors: _, ...counts }) => ({
      ...counts,
      codes: Array<string>(counts.failed).fill("EBUS_HANDLER_FAILED"),
    })),
  );
}

async function runProgram(seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  const h = new Harness(r);
  for (let step = 0; step < steps; step++) {
    const roll = r.next();
    if (roll < 0.25) h.subscribe();
    else if (roll < 0.35) h.unsubscribe();
    else if (roll < 0.6) await h.emit(r.next() < 0.6);
    else if (roll < 0.8) await h.emitMany(r.next() < 0.6);
    else if (roll < 0.88) await h.settle();
    else if (roll < 0.94) h.clearHistory();
    else await h.resetStats();
    h.check();
  }
  await h.settle();
  h.check();
  // Every failure reached onError, once, with its code.
  expect(h.errors.length).toBe(h.failuresExpected);
  expect(h.errors.every((e) => e.code === "EBUS_HANDLER_FAILED")).toBe(true);
  await h.bus.close();
}

describe("model-based fuzzing against the seed's semantics", () => {
  it("the model routes by the pattern grammar: on the conformance table, each pattern's subscriber gets exactly its topics", () => {
    for (const [pattern, { match, noMatch }] of Object.entries(PATTERN_TABLE)) {
      const model = new BusModel(0);
      model.subscribe({
        label: "s",
        pattern,
        handler: "sync",
        filter: "none",
        once: false,
        unsubscribes: null,
        subscribes: null,
      });
      [...match, ...noMatch].forEach((type, n) => {
        expect([pattern, type, model.emit({ id: `e${n}`, type, n }).matched]).toEqual([
          pattern,
          type,
          match.includes(type) ? 1 : 0,
        ]);
      });
      expect(model.calls).toEqual(match.map((type) => `s:e${[...match, ...noMatch].indexOf(type)}`));
    }
  });

  const programs = size(150, 5000);
  it(
    `${programs} random programs agree with the model (seed ${SEED})`,
    { timeout: LONG ? 1_200_000 : 30_000 },
    async () => {
      let steps = 0;
      for (let p = 0; p < programs; p++) {
        const seed = (SEED + p * 7919) >>> 0;
        const length = 20 + (p % 60);
        try {
          await runProgram(seed, length);
        } catch (err) {
          throw new Error(`program seed ${seed} (RELIABILITY_SEED=${SEED}, program ${p}) diverged from the model`, {
            cause: err,
          });
        }
        steps += length;
      }
      console.log(`[reliability] model fuzzing: ${programs} programs, ${steps} steps, bus and model agree`);
    },
  );
});
