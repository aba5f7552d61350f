/**
 * The checks of what `emit` and `emitMany` are given, before anything is dispatched, stored or
 * counted: an Event, and data that passes the schema defined for its type.
 */
import { InvalidEventError } from "../errors.js";
import { received } from "../describe-input.js";
import { isEvent, type Event } from "../event.js";
import type { SchemaRegistry } from "./schemas.js";

/** The error for something passed where an Event belongs. */
export function notAnEvent(field: string, value: unknown): InvalidEventError {
  const rule = "must be an Event: new Event(type, source, data), or Event.fromDict(dict) for wire input";
  return new InvalidEventError(field, rule, undefined, received(value));
}

/** The events of an `emitMany` call, or the error that refuses all of them. */
export function checkEvents(events: unknown, schemas: SchemaRegistry | null): Event[] | InvalidEventError {
  if (events === null || typeof events !== "object")
    return new InvalidEventError("events", "must be an iterable of Event");
  let list: unknown[];
  try {
    if (typeof (events as Iterable<Event>)[Symbol.iterator] !== "function")
      return new InvalidEventError("events", "must be an iterable of Event");
    list = Array.from(events as Iterable<unknown>);
  } catch (err) {
    // A throwing iterator or getter, or a revoked Proxy.
    return new InvalidEventError("events", "iterating the events threw", err);
  }
  const bad = list.findIndex((e) => !isEvent(e));
  if (bad >= 0) return notAnEvent(`events[${bad}]`, list[bad]);
  const checked = list as Event[];
  for (let i = 0; schemas !== null && i < checked.length; i++) {
    const invalid = schemas.check(checked[i]!);
    // Name the item: in a batch of a thousand, "data.task_id" alone does not say which one.
    if (invalid !== null) return new InvalidEventError(`events[${i}].${invalid.field}`, invalid.rule, invalid.cause);
  }
  return checked;
}
