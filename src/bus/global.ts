/**
 * The process-wide bus of the seed's `EventBusGlobal`.
 */
import { EventBus } from "./event-bus.js";
import { resolveOptions, type BusOptions } from "./options.js";

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

  /**
   * The global bus, created on first use with `options`. Later calls check their options (a
   * misspelt one throws, as for `new EventBus`) but do not apply them to the bus that exists. A
   * global bus that was closed (`getInstance().close()`) is replaced by a new one, as after
   * `reset()`.
   *
   * @throws InvalidOptionsError (EBUS_INVALID_OPTIONS) for bad options.
   */
  static getInstance(options?: BusOptions): EventBus {
    const current = EventBusGlobal.instance;
    if (current !== null && !current.isClosed) {
      if (options !== undefined) resolveOptions(options);
      return current;
    }
    EventBusGlobal.instance = new EventBus(options);
    return EventBusGlobal.instance;
  }

  /** Closes the global bus and forgets it. */
  static async reset(): Promise<void> {
    const bus = EventBusGlobal.instance;
    EventBusGlobal.instance = null;
    await bus?.close();
  }
}
