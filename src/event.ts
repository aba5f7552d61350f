/**
 * Events and their wire format (docs/guide.md, Events).
 *
 * An Event is recognised by a brand, not by its class: two copies of this package in one app (two
 * versions installed side by side) each have their own Event class, and an event made by one must
 * still be accepted by the other's bus. `Symbol.for` gives both copies the same symbol, and
 * `Symbol.hasInstance` makes `instanceof Event` read it (undici brands its errors the same way).
 * The brand names the version of the event's shape, not of the package: a copy whose Event had
 * other fields would use another brand.
 */
import { z } from "zod";
import { isPlainObject, messageOf, received } from "./describe-input.js";
import { InvalidEventError } from "./errors.js";
import { eventId as newEventId } from "./event-id.js";
import { parseEventTime, TIMESTAMP_RULE } from "./event-time.js";
import { assertEventType, eventTypeRule, matchesPattern } from "./pattern/grammar.js";

/**
 * The 19 event types of the Neurectomy seed, with the same string values.
 *
 * @example
 * ```ts
 * await bus.emit(new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1" }));
 * ```
 */
export enum EventType {
  TASK_STARTED = "task.started",
  TASK_COMPLETED = "task.completed",
  TASK_FAILED = "task.failed",
  TASK_SKIPPED = "task.skipped",
  WORKFLOW_STARTED = "workflow.started",
  WORKFLOW_COMPLETED = "workflow.completed",
  WORKFLOW_FAILED = "workflow.failed",
  AGENT_HEARTBEAT = "agent.heartbeat",
  AGENT_FAILED = "agent.failed",
  AGENT_RECOVERED = "agent.recovered",
  AGENT_REGISTERED = "agent.registered",
  COMPRESSION_STARTED = "compression.started",
  COMPRESSION_COMPLETED = "compression.completed",
  STORAGE_UPLOADED = "storage.uploaded",
  STORAGE_RETRIEVED = "storage.retrieved",
  STORAGE_DELETED = "storage.deleted",
  ERROR_OCCURRED = "error.occurred",
  WARNING_ISSUED = "warning.issued",
  INFO_LOGGED = "info.logged",
}

/**
 * The wire format: snake_case, so Python Neurectomy services read and write the same JSON.
 *
 * @example
 * ```ts
 * const dict: EventDict = event.toDict();
 * // { event_id: "V1StGXR8_Z5jdHi6B-myT", event_type: "task.completed", source: "w1",
 * //   timestamp: "2026-11-27T11:13:29.123Z", data: { task_id: "t1" } }
 * ```
 */
export interface EventDict {
  event_id: string;
  event_type: string;
  source: string;
  /** ISO-8601, always written in UTC with a `Z`. */
  timestamp: string;
  data: Record<string, unknown>;
}

/** An object that is not an array (nor a revoked Proxy, which cannot even be asked that). */
function isFieldsObject(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  try {
    return !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * zod schema of {@link EventDict} input. Timestamps are ISO-8601 as JavaScript and Python write
 * them (`toISOString()`, `isoformat()` with any `timespec`, `str(datetime)`), with a zone offset
 * (seconds allowed), `Z`, or none (naive, read as UTC). `data` is checked to be a plain object but is not
 * rebuilt, so keys such as `__proto__` stay own properties and never reach `Object.prototype`.
 *
 * @example
 * ```ts
 * const result = eventDictSchema.safeParse(JSON.parse(message));
 * if (!result.success) console.error(result.error.issues);
 * ```
 */
export const eventDictSchema = z.object({
  event_id: z.string().min(1, "must be a non-empty string"),
  event_type: z.string().superRefine((type, ctx) => {
    const rule = eventTypeRule(type);
    if (rule !== null) ctx.addIssue({ code: "custom", message: rule });
  }),
  source: z.string().min(1, "source is required"),
  timestamp: z.string().refine((text) => parseEventTime(text) !== null, TIMESTAMP_RULE),
  data: z.custom<Record<string, unknown>>(isPlainObject, { message: "must be a plain object" }),
});

const kEvent = Symbol.for("@neurectomy/event-bus.Event@1");

/**
 * Whether `value` is an Event made by any copy of this package (see the brand above). The brand
 * is on the prototype, so an object made with `Object.create(Event.prototype)` has it too: its
 * own fields tell it apart. Never throws (a revoked Proxy is not an Event).
 */
export function isEvent(value: unknown): value is Event {
  if (typeof value !== "object" || value === null) return false;
  try {
    const e = value as { [kEvent]?: unknown; eventType?: unknown; eventId?: unknown };
    return e[kEvent] === true && typeof e.eventType === "string" && typeof e.eventId === "string";
  } catch {
    return false;
  }
}

/** The snake_case wire key of each Event property, for the hint when a dict uses the latter. */
const WIRE_KEYS: Readonly<Record<string, string>> = {
  eventId: "event_id",
  eventType: "event_type",
  timestamp: "timestamp",
  source: "source",
  data: "data",
};

/** The hint for a dict written with the Event's own (camelCase) property names. */
function camelCaseHint(input: unknown): string | null {
  if (input === null || typeof input !== "object") return null;
  const camel = Object.keys(WIRE_KEYS).filter((key) => key !== WIRE_KEYS[key] && Object.hasOwn(input, key));
  if (camel.length === 0) return null;
  const renames = camel.map((key) => `${key} -> ${WIRE_KEYS[key]!}`).join(", ");
  return `the wire format's keys are snake_case (event_id, event_type, source, timestamp, data); this input has ${camel.join(", ")}: rename them (${renames}), or pass event.toDict() instead of the Event's own fields`;
}

/**
 * One event. Immutable by convention (the fields are readonly; `data` is not deep-frozen).
 *
 * @example
 * ```ts
 * const event = new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1", result: "success" });
 * event.matches("task.*"); // true
 * JSON.stringify(event);   // the EventDict wire format
 * ```
 */
export class Event<T extends string = string, D extends object = Record<string, unknown>> {
  readonly eventType: T;
  readonly source: string;
  readonly data: D;
  readonly timestamp: Date;
  readonly eventId: string;

  /** `instanceof Event` is true for an Event of any copy of this package (the brand above). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isEvent(value);
  }

  /**
   * @throws InvalidEventError when the type breaks the grammar, `source` is empty, `data` is not
   * an object, `timestamp` is not a valid Date or `eventId` is empty.
   */
  constructor(eventType: T, source: string, data?: D, timestamp?: Date, eventId?: string) {
    assertEventType(eventType);
    if (typeof source !== "string" || source.length === 0)
      throw new InvalidEventError("source", "source is required", undefined, received(source));
    if (data !== undefined && !isFieldsObject(data)) {
      throw new InvalidEventError(
        "data",
        'must be an object of the event\'s fields, not an array or a primitive: such as { task_id: "t1" }, or omitted for {}',
        undefined,
        received(data),
      );
    }
    if (timestamp !== undefined && !(timestamp instanceof Date && !Number.isNaN(timestamp.getTime()))) {
      throw new InvalidEventError(
        "timestamp",
        "must be a valid Date (or omitted for now)",
        undefined,
        received(timestamp),
      );
    }
    if (eventId !== undefined && (typeof eventId !== "string" || eventId.length === 0)) {
      throw new InvalidEventError(
        "event_id",
        "must be a non-empty string (or omitted for a new id)",
        undefined,
        received(eventId),
      );
    }
    this.eventType = eventType;
    this.source = source;
    this.data = data ?? ({} as D);
    this.timestamp = timestamp ?? new Date();
    this.eventId = eventId ?? newEventId();
  }

  /** Whether this event matches `pattern` (the grammar of `subscribe`). Throws InvalidPatternError. */
  matches(pattern: string): boolean {
    return matchesPattern(pattern, this.eventType);
  }

  /** The wire format. */
  toDict(): EventDict {
    return {
      event_id: this.eventId,
      event_type: this.eventType,
      source: this.source,
      timestamp: this.timestamp.toISOString(),
      data: this.data as Record<string, unknown>,
    };
  }

  /** So that `JSON.stringify(event)` writes the wire format. */
  toJSON(): EventDict {
    return this.toDict();
  }

  /**
   * Rebuilds an event from its wire format, validated with zod.
   *
   * @throws InvalidEventError naming the first field that is wrong, with the zod issues as `cause`.
   * @example
   * ```ts
   * const event = Event.fromDict(JSON.parse(message));
   * ```
   */
  static fromDict(input: unknown): Event {
    try {
      return Event.parseDict(input);
    } catch (err) {
      if (err instanceof InvalidEventError) throw err;
      // Reading the input threw (a getter, a Proxy trap, a revoked Proxy): still bad input.
      throw new InvalidEventError("event", `could not be read: ${messageOf(err)}`, err);
    }
  }

  private static parseDict(input: unknown): Event {
    const parsed = eventDictSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue === undefined || issue.path.length === 0 ? "event" : issue.path.map(String).join(".");
      const rule = issue?.message ?? "must be an object";
      const hint = camelCaseHint(input);
      throw new InvalidEventError(field, hint === null ? rule : `${rule} (${hint})`, parsed.error.issues);
    }
    const dict = input as EventDict;
    const timestamp = new Date(parseEventTime(dict.timestamp)!);
    if (Number.isNaN(timestamp.getTime()))
      throw new InvalidEventError("timestamp", "is out of the range of a JavaScript Date");
    return new Event(dict.event_type, dict.source, dict.data, timestamp, dict.event_id);
  }
}

// The brand lives on the prototype, so an event carries no extra field.
Object.defineProperty(Event.prototype, kEvent, { value: true });
