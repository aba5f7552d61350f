/**
 * The bus side of the dispatch and stats scenarios: the event type, payload and counter their
 * handlers share with the peer emitters, and buses built the same way for both. No peer library
 * is imported here, so the stats scenario runs where none is installed.
 */
import { Event, EventBus } from "../../src/index.js";

export const counter = { n: 0 };
export const TYPE = "task.completed";
export const DATA = { task_id: "t1", result: "success" };

/** Events built ahead of the timed loop (the peers take a name and a payload, not an Event). */
export function prebuiltEvents(count: number, type = TYPE): Event[] {
  return Array.from({ length: count }, () => new Event(type, "bench", DATA));
}

/** A bus with `handlers` synchronous handlers on TYPE (history 1000 and stats on by default). */
export function busWith(handlers: number, options: ConstructorParameters<typeof EventBus>[0] = {}): EventBus {
  const bus = new EventBus(options);
  for (let i = 0; i < handlers; i++) bus.subscribe(TYPE, () => void counter.n++);
  return bus;
}

/** Awaits `bus.emit` n times, cycling through prebuilt events. */
export function awaitedEmits(bus: EventBus, events: readonly Event[]): (n: number) => Promise<void> {
  let cursor = 0;
  return async (n) => {
    for (let i = 0; i < n; i++) {
      await bus.emit(events[cursor]!);
      cursor = cursor + 1 === events.length ? 0 : cursor + 1;
    }
  };
}
