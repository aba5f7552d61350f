// Run in a child process by close.test.ts, against the built package (dist/): makes buses whose
// pools start threads, and closes each a few milliseconds later, while those threads may still be
// loading the worker entry. Prints a JSON report on its last line.
//   node close-while-starting.mjs <buses>
import { Event, EventBus, offload } from "../../../dist/src/index.js";

const HANDLERS = new URL("../fixtures/handlers.mjs", import.meta.url);
const buses = Number(process.argv[2] ?? 40);
const codes = {};
let settled = 0;
for (let i = 0; i < buses; i++) {
  const bus = new EventBus({ onError: () => undefined, workers: { minThreads: 4, maxThreads: 4 } });
  bus.subscribe("start.close", offload(HANDLERS, "act"));
  const emitted = bus.emit(new Event("start.close", "test", { i }));
  // 0 to 59 ms: from before the first thread has started to after the entry has loaded.
  await new Promise((resolve) => setTimeout(resolve, (i * 7) % 60));
  await bus.close();
  const result = await emitted;
  settled++;
  for (const error of result.errors) codes[error.code] = (codes[error.code] ?? 0) + 1;
}
console.log(JSON.stringify({ buses, settled, codes }));
