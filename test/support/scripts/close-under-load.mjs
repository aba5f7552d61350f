// Run in a child process by close.test.ts, against the built package (dist/): emits under load,
// in-process and offloaded, closes in the middle of it, keeps emitting, and prints a JSON report
// on its last line. It must then exit by itself: a handle left open would keep it alive.
//   node close-under-load.mjs <drain|timeout> <events>
import { Event, EventBus, offload } from "../../../dist/src/index.js";

const HANDLERS = new URL("../fixtures/handlers.mjs", import.meta.url);
const mode = process.argv[2] ?? "drain";
const total = Number(process.argv[3] ?? 4000);

const errors = [];
const bus = new EventBus({
  onError: (e) => errors.push(e.code),
  workers: { maxThreads: 2, maxQueue: 128, batchSize: 32 },
});
const turn = () => new Promise((resolve) => setImmediate(resolve));

if (mode === "drain") {
  bus.subscribe("load.*", async () => {
    for (let i = 0; i < 3; i++) await turn();
  });
  bus.subscribe("load.offloaded", offload(HANDLERS, "act"));
} else {
  // Deliveries that never finish by themselves: only close({ timeoutMs }) ends them.
  bus.subscribe("load.*", () => new Promise(() => {}));
  bus.subscribe("load.offloaded", offload(HANDLERS, "act"));
}

const accepted = [];
const rejectedAfterClose = [];
let closeCalled = false;
let closing;
for (let i = 0; i < total; i++) {
  const type = i % 2 === 0 ? "load.local" : "load.offloaded";
  const action = mode === "drain" ? (i % 3 === 0 ? "cpu" : "ok") : i % 4 === 1 ? "async-hang" : "ok";
  const promise = bus.emit(new Event(type, "load", { n: i, action, ms: 0.2 }));
  if (closeCalled)
    rejectedAfterClose.push(
      promise.then(
        () => "resolved",
        (e) => e.code,
      ),
    );
  else accepted.push(promise);
  if (i === Math.floor(total / 2)) {
    closeCalled = true;
    closing = mode === "drain" ? bus.close() : bus.close({ timeoutMs: 300 });
  }
  if (i % 200 === 0) await turn();
}
await closing;
const results = await Promise.all(accepted);
const after = await Promise.all(rejectedAfterClose);
const stats = bus.getStats();
const codes = {};
for (const r of results) for (const e of r.errors) codes[e.code] = (codes[e.code] ?? 0) + 1;
console.log(
  JSON.stringify({
    accepted: accepted.length,
    resolved: results.length,
    balanced: results.every((r) => r.matched === r.delivered + r.filtered + r.failed),
    delivered: results.reduce((a, r) => a + r.delivered, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    codes,
    afterClose: [...new Set(after)],
    afterCloseCount: after.length,
    inFlight: stats.inFlight,
    workerInFlight: stats.workers.inFlight,
    onError: errors.length,
    onErrorCodes: [...new Set(errors)],
  }),
);
