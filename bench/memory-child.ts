/**
 * The memory scenario's worker process (run with --expose-gc, so every figure is taken after a
 * full collection). Prints one JSON object on stdout.
 *
 *   node --expose-gc dist/bench/memory-child.js <history|unique|emittery> <events>
 */
import { Event, EventBus, EventType } from "../src/index.js";

interface Sample {
  emits: number;
  heapUsed: number;
  rss: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

function sample(emits: number): Sample {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { emits, heapUsed: m.heapUsed, rss: m.rss };
}

const TYPES = Object.values(EventType);
const [mode = "history", countArg = "1000000"] = process.argv.slice(2);
const count = Number(countArg);
const WARMUP = 10_000;
const samples: Sample[] = [];
const extra: Record<string, number> = {};

async function run(emitOne: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await emitOne(i);
  samples.push(sample(0));
  const checkpoint = Math.max(1, Math.floor(count / 4));
  for (let i = 0; i < count; i++) {
    await emitOne(WARMUP + i);
    if ((i + 1) % checkpoint === 0) samples.push(sample(i + 1));
  }
}

if (mode === "emittery") {
  // Imported only in this mode: emittery is a peer that an installed package may not have.
  const { default: Emittery } = await import("emittery");
  const emittery = new Emittery();
  let seen = 0;
  emittery.on(EventType.TASK_COMPLETED, () => void seen++);
  await run((i) => emittery.emit(TYPES[i % TYPES.length]!, { i }));
} else {
  const bus = new EventBus({ maxHistory: 1000 });
  let seen = 0;
  bus.subscribe("task.*", () => void seen++);
  bus.subscribe("*.failed", () => void seen++);
  bus.subscribe("info.logged", () => void seen++);
  if (mode === "history") {
    await run((i) => bus.emit(new Event(TYPES[i % TYPES.length]!, "memory", { i })));
  } else {
    // Every event of a type never seen before: the trie's match cache and the per-type stats
    // table must stay bounded.
    await run((i) => bus.emit(new Event(`unique.t${i}.failed`, "memory", { i })));
  }
  // The bus's subscription registry is internal: read through it to the trie's cache.
  const registry = (bus as unknown as { subscriptions: { cachedTopics: number } }).subscriptions;
  const stats = bus.getStats();
  extra["historySize"] = stats.historySize;
  extra["cachedTopics"] = registry.cachedTopics;
  extra["typesCounted"] = Object.keys(stats.eventCounts).length;
  extra["totalEventsEmitted"] = stats.totalEventsEmitted;
  await bus.close();
}
process.stdout.write(`${JSON.stringify({ mode, count, samples, extra })}\n`);
