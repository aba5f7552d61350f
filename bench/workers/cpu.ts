/** A CPU-bound handler of about `data.ms` milliseconds (default 1), for the offload benchmark. */
import type { Event } from "../../src/event.js";

export function spin(event: Event): void {
  const ms = typeof event.data["ms"] === "number" ? event.data["ms"] : 1;
  const end = performance.now() + ms;
  while (performance.now() < end);
}
