/**
 * The context an offloaded handler receives as its second argument: `ctx.emit` sends follow-up
 * events to the main thread's bus. They are checked here, at the call, so the handler can catch
 * a bad one; they are kept until the handler settles, and cross back with its batch only if it
 * succeeded. A call after the handler settled (a timed-out handler that goes on, a callback that
 * fires late) is dropped and counted.
 */
import { Event, isEvent } from "../src/event.js";
import { messageOf, received } from "../src/describe-input.js";
import { InvalidEventError } from "../src/errors.js";
import type { OffloadContext } from "../src/offload/offload.js";
import { toThreadEvent, type ThreadEvent } from "../src/offload/protocol.js";

export class HandlerContext implements OffloadContext {
  /** The follow-ups, in call order; null until the first. */
  events: ThreadEvent[] | null = null;
  private settled = false;

  constructor(
    private readonly handled: Event,
    /** Counts a follow-up dropped after the handler settled. */
    private readonly onLate: () => void,
  ) {}

  emit(eventOrType: Event | string, data?: Record<string, unknown>, source?: string): void {
    let event: Event;
    if (typeof eventOrType === "string") {
      event = new Event(eventOrType, source ?? this.handled.source, data);
    } else if (isEvent(eventOrType)) {
      // The brand accepts an Event of any copy of the package (the handler module may import its own).
      if (data !== undefined || source !== undefined) {
        throw new InvalidEventError(
          "ctx.emit",
          "takes either an Event alone or (eventType, data?, source?), not an Event with data or source",
        );
      }
      // Rebuilt with this copy's checks, whichever copy of the package made it.
      event = new Event(
        eventOrType.eventType,
        eventOrType.source,
        eventOrType.data,
        eventOrType.timestamp,
        eventOrType.eventId,
      );
    } else {
      throw new InvalidEventError(
        "ctx.emit",
        `needs an event type (a string) or an Event, got ${received(eventOrType)}`,
      );
    }
    // The copy is what travels: data the handler changes after ctx.emit (adding a function, say)
    // cannot make the batch's answer uncloneable, and the follow-up is the data as it was emitted.
    let copy: object;
    try {
      copy = structuredClone(event.data);
    } catch (err) {
      throw new InvalidEventError(
        "data",
        `cannot cross to the main thread (${messageOf(err)}): keep to what structured clone copies`,
        err,
      );
    }
    if (this.settled) {
      this.onLate();
      return;
    }
    (this.events ??= []).push({ ...toThreadEvent(event), d: copy });
  }

  /** The handler has settled: later calls are dropped. @returns the follow-ups it had sent. */
  seal(): ThreadEvent[] | null {
    this.settled = true;
    return this.events;
  }
}
