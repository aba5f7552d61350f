/** A CPU-bound handler of about `data.ms` milliseconds (default 1), for the offload benchmark. */
import type { Event } from "../../src/event.js";

export function spin(event: Event): void {
  const ms = typeof event.data["ms"] === "number" ? event.data["ms"] : 1;
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** For raw Piscina: the same work, the task being the event's dict. */
export default function spinTask(dict: { data: { ms?: number } }): number {
  const end = performance.now() + (dict.data.ms ?? 1);
  while (performance.now() < end);
  return 1;
}
