/**
 * Scenario "dispatch": one event to 1 and to 10 synchronous handlers, awaited, against the async
 * emitters (emittery, EventEmitter2 emitAsync) and the synchronous ones as the floor; then
 * `emitMany` of 1,000 events against mqemitter's synchronous emit.
 */
import { Event } from "../../src/index.js";
import { measure, pairedSpeedup, type RunConfig, type Table, type TaskSpec } from "../harness.js";
import type { Goal, ScenarioOutput } from "../registry.js";
import { awaitedEmits, busWith, DATA, prebuiltEvents, TYPE } from "./bus-fixtures.js";
import {
  makeEmittery,
  makeEventEmitter2,
  makeEventEmitter3,
  makeMitt,
  makeMqemitter,
  makeNodeEmitter,
} from "./peer-emitters.js";

function singleEventTasks(handlers: number, events: readonly Event[]): TaskSpec[] {
  const bus = busWith(handlers);
  const emittery = makeEmittery(handlers);
  const ee2 = makeEventEmitter2(handlers);
  const node = makeNodeEmitter(handlers);
  const ee3 = makeEventEmitter3(handlers);
  const mitt = makeMitt(handlers);
  const mq = makeMqemitter(handlers);
  const message = { topic: TYPE, ...DATA };
  return [
    { name: "EventBus emit (awaited)", library: "@neurectomy/event-bus", run: awaitedEmits(bus, events) },
    {
      name: "EventBus emit (awaited), new Event() included",
      library: "@neurectomy/event-bus",
      run: async (n) => {
        for (let i = 0; i < n; i++) await bus.emit(new Event(TYPE, "bench", DATA));
      },
    },
    {
      name: "emittery emit (awaited)",
      library: "emittery",
      run: async (n) => {
        for (let i = 0; i < n; i++) await emittery.emit(TYPE, DATA);
      },
    },
    {
      name: "EventEmitter2 emitAsync (awaited)",
      library: "eventemitter2",
      run: async (n) => {
        for (let i = 0; i < n; i++) await ee2.emitAsync(TYPE, DATA);
      },
    },
    {
      name: "node:events emit (sync floor)",
      library: "node:events",
      run: (n) => {
        for (let i = 0; i < n; i++) node.emit(TYPE, DATA);
      },
    },
    {
      name: "eventemitter3 emit (sync floor)",
      library: "eventemitter3",
      run: (n) => {
        for (let i = 0; i < n; i++) ee3.emit(TYPE, DATA);
      },
    },
    {
      name: "mitt emit (sync floor)",
      library: "mitt",
      run: (n) => {
        for (let i = 0; i < n; i++) mitt.emit(TYPE, DATA);
      },
    },
    {
      name: "mqemitter emit (sync floor)",
      library: "mqemitter",
      run: (n) => {
        for (let i = 0; i < n; i++) mq.emit(message);
      },
    },
  ];
}

const MANY = 1_000;

function emitManyTasks(events: readonly Event[]): TaskSpec[] {
  const bus = busWith(1);
  const mq = makeMqemitter(1);
  const emittery = makeEmittery(1);
  const node = makeNodeEmitter(1);
  const messages = events.map(() => ({ topic: TYPE, ...DATA }));
  return [
    {
      name: "EventBus emitMany(1,000) (awaited)",
      library: "@neurectomy/event-bus",
      batch: 1,
      run: () => bus.emitMany(events),
    },
    {
      name: "mqemitter emit × 1,000 (sync)",
      library: "mqemitter",
      batch: 1,
      run: () => {
        for (const m of messages) mq.emit(m);
      },
    },
    {
      name: "emittery Promise.all(emit × 1,000)",
      library: "emittery",
      batch: 1,
      run: () => Promise.all(messages.map(() => emittery.emit(TYPE, DATA))),
    },
    {
      name: "node:events emit × 1,000 (sync floor)",
      library: "node:events",
      batch: 1,
      run: () => {
        for (let i = 0; i < MANY; i++) node.emit(TYPE, DATA);
      },
    },
  ];
}

/** Rescales a table measured per 1,000 events to per-event figures. */
function perEvent(table: Table): Table {
  for (const row of table.rows) {
    row.medianNs /= MANY;
    row.p99Ns /= MANY;
    row.opsPerSec *= MANY;
  }
  return table;
}

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const events = prebuiltEvents(1024);
  const note = [
    "EventBus: history (1000) and stats on, as by default. Its events are built before the timed loop (the peers take a name and a payload and need none); the `new Event() included` row builds one per emit (nanoid + Date).",
    "Every handler is synchronous and bumps a counter. The sync emitters do not return a promise: they are the floor, not competitors.",
  ];
  const one = await measure(
    config,
    "Dispatch, 1 sync handler (per event)",
    "emittery emit (awaited)",
    singleEventTasks(1, events),
    note,
  );
  const ten = await measure(
    config,
    "Dispatch, 10 sync handlers (per event)",
    "emittery emit (awaited)",
    singleEventTasks(10, events),
    note,
  );
  const many = perEvent(
    await measure(
      config,
      "emitMany of 1,000 events, 1 sync handler (per event)",
      "mqemitter emit × 1,000 (sync)",
      emitManyTasks(prebuiltEvents(MANY)),
      [
        "One iteration emits 1,000 events; the figures are divided by 1,000. The events are built before the timed loop.",
      ],
    ),
  );
  const describe = (r: { median: number; min: number; max: number }): string =>
    `${r.median.toFixed(2)}x (rounds: ${r.min.toFixed(2)}-${r.max.toFixed(2)}x)`;
  const emitVsEmittery = pairedSpeedup(one, "EventBus emit (awaited)", "emittery emit (awaited)");
  const manyVsMq = pairedSpeedup(many, "EventBus emitMany(1,000) (awaited)", "mqemitter emit × 1,000 (sync)");
  const goals: Goal[] = [
    {
      goal: "Awaited emit, 1 sync handler, history and stats on: >= 3x emittery",
      met: emitVsEmittery.median >= 3,
      measured: describe(emitVsEmittery),
    },
    {
      goal: "emitMany of 1,000 events, 1 sync handler: >= 1x mqemitter's sync emit rate",
      met: manyVsMq.median >= 1,
      measured: describe(manyVsMq),
    },
  ];
  return { tables: [one, ten, many], goals };
}
