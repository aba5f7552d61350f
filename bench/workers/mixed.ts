/**
 * Workers of the mixed-cost and pipeline scenarios: a handler that does ~4 ms of CPU for the
 * events marked heavy and nothing for the rest (offloaded through the bus, or one piscina.run()
 * per event), and a pipeline stage that announces each event it handled.
 */
import type { Event } from "../../src/event.js";
import type { OffloadContext } from "../../src/offload/offload.js";

const HEAVY_MS = 4;

function work(heavy: boolean): void {
  if (!heavy) return;
  const end = performance.now() + HEAVY_MS;
  while (performance.now() < end);
}

/** For the bus. */
export function handle(event: Event): void {
  work(event.data["heavy"] === true);
}

/** For raw Piscina: the task is the event's dict. */
export default function task(dict: { data: { heavy?: boolean } }): number {
  work(dict.data.heavy === true);
  return 1;
}

/** Stage one of the pipeline: the follow-up goes back to the main thread's bus. */
export function stage(event: Event, ctx: OffloadContext): void {
  ctx.emit("bench.stage2", { i: event.data["i"], sent: event.data["sent"] });
}
