// Run with --expose-gc in a child process by memory.test.ts, against the built package (dist/):
// pushes events through a bus with history 1000 and reports the heap (after a full GC) before,
// after, and at its largest, in MB, as JSON on its last line.
//   node --expose-gc memory.mjs <repeat|unique> <events>
import { Event, EventBus } from "../../../dist/src/index.js";

const mode = process.argv[2] ?? "repeat";
const total = Number(process.argv[3] ?? 100_000);
const CHUNK = 1000;
const MB = 1024 * 1024;

function heapMb() {
  globalThis.gc();
  return process.memoryUsage().heapUsed / MB;
}

const bus = new EventBus({ maxHistory: 1000 });
let received = 0;
bus.subscribe("*", () => void received++);
bus.subscribe("mem.*", async () => {
  received++;
});
bus.subscribe("m*", () => void received++, { filter: (e) => (e.data.i & 1) === 0 });

const typeOf = mode === "unique" ? (i) => `mem.t${i + 1_000_000_000}` : (i) => (i % 2 === 0 ? "mem.a" : "mem.b");
async function pump(from, to) {
  for (let i = from; i < to; i += CHUNK) {
    const events = [];
    for (let j = i; j < Math.min(to, i + CHUNK); j++)
      events.push(new Event(typeOf(j), "mem", { i: j, payload: "x".repeat(64) }));
    await bus.emitMany(events);
  }
}

// Warm up (JIT, caches, a full history) before the first measurement; these events come on top.
const warmup = Math.min(20_000, Math.max(CHUNK, Math.floor(total / 5)));
await pump(-warmup, 0);
const before = heapMb();
let peak = before;
const started = performance.now();
const step = Math.max(CHUNK, Math.floor(total / 10));
for (let i = 0; i < total; i += step) {
  await pump(i, Math.min(total, i + step));
  peak = Math.max(peak, heapMb());
}
const seconds = (performance.now() - started) / 1000;
const after = heapMb();
const stats = bus.getStats();
await bus.close();
const round = (x) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    mode,
    events: total,
    warmup,
    heapBeforeMb: round(before),
    heapAfterMb: round(after),
    heapPeakMb: round(peak),
    seconds: round(seconds),
    historySize: stats.historySize,
    emitted: stats.totalEventsEmitted,
    eventCountKeys: Object.keys(stats.eventCounts).length,
    eventCountsOverflow: stats.eventCountsOverflow,
    delivered: stats.delivered,
    received,
  }),
);
