/**
 * The process-wide bus of the seed's `EventBusGlobal`.
 */
import { EventBus } from "./event-bus.js";
import type { BusOptions } from "./options.js";

/**
 * One lazily created bus for the whole process.
 *
 * @example
 * ```ts
 * const bus = EventBusGlobal.getInstance();
 * bus.subscribe("*", (e) => console.log(e.eventType));
 * await EventBusGlobal.reset(); // closes it; the next getInstance() makes a new one
 * ```
 */
export class EventBusGlobal {
  private static instance: EventBus | null = null;

  private constructor() {}

  /** The global bus, created on first use (with `options`, which later calls ignore). */
  static getInstance(options?: BusOptions): EventBus {
    EventBusGlobal.instance ??= new EventBus(options);
    return EventBusGlobal.instance;
  }

  /** Closes the global bus and forgets it. */
  static async reset(): Promise<void> {
    const bus = EventBusGlobal.instance;
    EventBusGlobal.instance = null;
    await bus?.close();
  }
}
