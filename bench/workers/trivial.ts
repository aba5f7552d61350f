/** Worker-side handlers of the offload benchmark: as cheap as a handler can be. */
import type { Event } from "../../src/event.js";

/** For raw Piscina: one task per event, the task is the event's dict. */
export default function echo(task: unknown): unknown {
  return task === undefined ? null : 1;
}

/** For the bus: an offloaded handler that does nothing. */
export function handle(_event: Event): void {}
