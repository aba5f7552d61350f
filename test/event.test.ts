/**
 * Events (docs/architecture.md: events and the wire format): the 19 seed types, constructor defaults, the
 * snake_case wire
 * format, fromDict's validation and timestamps, and prototype-pollution safety.
 *
 * At the top of test/, as src/event.ts is at the top of src/ (shared by every part of the code).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Event, EventType, InvalidEventError, type EventDict } from "../src/index.js";
import { expectCode } from "./support/assertions.js";

const SEED_TYPES: Record<string, string> = {
  TASK_STARTED: "task.started",
  TASK_COMPLETED: "task.completed",
  TASK_FAILED: "task.failed",
  TASK_SKIPPED: "task.skipped",
  WORKFLOW_STARTED: "workflow.started",
  WORKFLOW_COMPLETED: "workflow.completed",
  WORKFLOW_FAILED: "workflow.failed",
  AGENT_HEARTBEAT: "agent.heartbeat",
  AGENT_FAILED: "agent.failed",
  AGENT_RECOVERED: "agent.recovered",
  AGENT_REGISTERED: "agent.registered",
  COMPRESSION_STARTED: "compression.started",
  COMPRESSION_COMPLETED: "compression.completed",
  STORAGE_UPLOADED: "storage.uploaded",
  STORAGE_RETRIEVED: "storage.retrieved",
  STORAGE_DELETED: "storage.deleted",
  ERROR_OCCURRED: "error.occurred",
  WARNING_ISSUED: "warning.issued",
  INFO_LOGGED: "info.logged",
};

const validDict = (): EventDict => ({
  event_id: "evt-1",
  event_type: "task.completed",
  source: "workflow_1",
  timestamp: "2026-11-27T11:13:29.123Z",
  data: { task_id: "t1", result: "success" },
});

describe("EventType", () => {
  it("holds exactly the 19 seed types with the seed's values", () => {
    expect({ ...EventType }).toEqual(SEED_TYPES);
    expect(Object.keys(EventType)).toHaveLength(19);
  });
});

describe("new Event", () => {
  it("fills in the defaults: a 21-character nanoid, now, and {}", () => {
    const before = Date.now();
    const event = new Event(EventType.TASK_STARTED, "workflow_1");
    const after = Date.now();
    expect(event.eventId).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(event.timestamp).toBeInstanceOf(Date);
    expect(event.timestamp.getTime()).toBeGreaterThanOrEqual(before);
    expect(event.timestamp.getTime()).toBeLessThanOrEqual(after);
    expect(event.data).toEqual({});
    expect(event.eventType).toBe("task.started");
    expect(event.source).toBe("workflow_1");
  });

  it("gives every event its own id and its own data object", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => new Event("a", "s").eventId));
    expect(ids.size).toBe(1000);
    const a = new Event("a", "s");
    const b = new Event("a", "s");
    expect(a.data).not.toBe(b.data);
  });

  it("keeps what it is given", () => {
    const ts = new Date("2020-02-02T02:02:02.002Z");
    const data = { n: 1 };
    const event = new Event("custom.event", "src", data, ts, "my-id");
    expect(event.data).toBe(data);
    expect(event.timestamp).toBe(ts);
    expect(event.eventId).toBe("my-id");
  });

  it("refuses bad data, timestamp and id with EBUS_INVALID_EVENT naming the field", () => {
    const field = (fn: () => unknown): string => (expectCode(fn, "EBUS_INVALID_EVENT") as InvalidEventError).field;
    expect(field(() => new Event("a", "s", null as unknown as object))).toBe("data");
    expect(field(() => new Event("a", "s", "text" as unknown as object))).toBe("data");
    expect(field(() => new Event("a", "s", {}, new Date("nope")))).toBe("timestamp");
    expect(field(() => new Event("a", "s", {}, "2026-01-01" as unknown as Date))).toBe("timestamp");
    expect(field(() => new Event("a", "s", {}, undefined, ""))).toBe("event_id");
  });
});

describe("wire format", () => {
  it("toDict writes the snake_case EventDict", () => {
    const event = new Event(
      EventType.TASK_COMPLETED,
      "workflow_1",
      { task_id: "t1" },
      new Date("2026-11-27T11:13:29.123Z"),
      "abc",
    );
    expect(event.toDict()).toStrictEqual({
      event_id: "abc",
      event_type: "task.completed",
      source: "workflow_1",
      timestamp: "2026-11-27T11:13:29.123Z",
      data: { task_id: "t1" },
    });
    expect(event.toJSON()).toStrictEqual(event.toDict());
  });

  it("JSON.stringify(event) writes the wire format", () => {
    const event = new Event("a.b", "s", { nested: { x: [1, 2] } }, new Date(0), "id0");
    expect(JSON.parse(JSON.stringify(event))).toStrictEqual({
      event_id: "id0",
      event_type: "a.b",
      source: "s",
      timestamp: "1970-01-01T00:00:00.000Z",
      data: { nested: { x: [1, 2] } },
    });
    expect(JSON.parse(JSON.stringify({ wrapped: [event] })).wrapped[0].event_type).toBe("a.b");
  });

  it("fromDict(toDict()) and fromDict(JSON round trip) rebuild the same event", () => {
    const event = new Event(EventType.AGENT_HEARTBEAT, "supervisor", { agent_id: "a1", status: "ok", n: 3 });
    for (const dict of [event.toDict(), JSON.parse(JSON.stringify(event)) as unknown]) {
      const back = Event.fromDict(dict);
      expect(back).toBeInstanceOf(Event);
      expect(back.eventId).toBe(event.eventId);
      expect(back.eventType).toBe(event.eventType);
      expect(back.source).toBe(event.source);
      expect(back.timestamp.getTime()).toBe(event.timestamp.getTime());
      expect(back.data).toEqual(event.data);
      expect(back.toDict()).toEqual(event.toDict());
    }
  });
});

describe("fromDict timestamps", () => {
  // JavaScript reads a time without a zone as local time: run these in a zone far from UTC so
  // that "naive means UTC" is really tested.
  let savedTz: string | undefined;
  beforeAll(() => {
    savedTz = process.env["TZ"];
    process.env["TZ"] = "Asia/Kolkata";
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env["TZ"];
    else process.env["TZ"] = savedTz;
  });

  it("runs in a zone that is not UTC", () => {
    expect(new Date(2026, 0, 1).getTimezoneOffset()).not.toBe(0);
  });

  const at = (timestamp: string): number => Event.fromDict({ ...validDict(), timestamp }).timestamp.getTime();

  it("accepts Z, an offset, and none (naive, read as UTC)", () => {
    const utc = Date.UTC(2026, 10, 27, 11, 13, 29, 123);
    expect(at("2026-11-27T11:13:29.123Z")).toBe(utc);
    expect(at("2026-11-27T11:13:29.123")).toBe(utc);
    expect(at("2026-11-27T13:13:29.123+02:00")).toBe(utc);
    expect(at("2026-11-27T06:13:29.123-05:00")).toBe(utc);
    expect(at("2026-11-27T11:13:29.123+00:00")).toBe(utc);
    expect(at("2026-11-27T11:13:29")).toBe(utc - 123);
  });

  it("drops microseconds to milliseconds (Python's isoformat)", () => {
    const utc = Date.UTC(2026, 10, 27, 11, 13, 29, 123);
    expect(at("2026-11-27T11:13:29.123456")).toBe(utc);
    expect(at("2026-11-27T11:13:29.123999")).toBe(utc); // dropped, not rounded
    expect(at("2026-11-27T11:13:29.123456+00:00")).toBe(utc);
    expect(at("2026-11-27T16:43:29.123456+05:30")).toBe(utc);
    expect(at("2026-11-27T11:13:29.123456Z")).toBe(utc);
  });

  it("keeps calendar rules: leap days only in leap years; any fraction length", () => {
    expect(at("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
    expect(at("2026-11-27T11:13:29.1Z")).toBe(Date.UTC(2026, 10, 27, 11, 13, 29, 100));
    expect(at("2026-11-27T11:13:29.123456789Z")).toBe(Date.UTC(2026, 10, 27, 11, 13, 29, 123));
    for (const bad of [
      "2026-02-29T00:00:00Z",
      "2026-02-30T00:00:00Z",
      "2026-11-27T24:00:00Z",
      "2026-11-27T11:13:60Z",
    ]) {
      expect((expectCode(() => at(bad), "EBUS_INVALID_EVENT") as InvalidEventError).field).toBe("timestamp");
    }
  });

  it("a naive Python isoformat() without fraction and one with microseconds agree to the millisecond", () => {
    expect(at("2026-01-01T00:00:00.000001") - at("2026-01-01T00:00:00")).toBe(0);
  });

  it("reads Python's str(datetime): a space instead of T, naive or aware", () => {
    const utc = Date.UTC(2026, 10, 27, 11, 13, 29, 123);
    expect(at("2026-11-27 11:13:29.123456")).toBe(utc);
    expect(at("2026-11-27 16:43:29.123456+05:30")).toBe(utc);
    expect(at("2026-11-27 11:13:29")).toBe(utc - 123);
    expect(at("2026-11-27 11:13:29+00:00")).toBe(utc - 123);
  });

  it("reads offsets with seconds (and microseconds), as Python writes them", () => {
    const utc = Date.UTC(2026, 10, 27, 11, 13, 29, 0);
    expect(at("2026-11-27T16:43:44+05:30:15")).toBe(utc);
    expect(at("2026-11-27T06:13:13-05:00:16")).toBe(utc);
    expect(at("2026-11-27T16:43:44.500+05:30:15.250")).toBe(utc + 250);
  });

  it('reads isoformat(timespec="minutes") and isoformat(timespec="hours"), naive or aware', () => {
    expect(at("2026-11-27T11:13")).toBe(Date.UTC(2026, 10, 27, 11, 13));
    expect(at("2026-11-27T16:43+05:30")).toBe(Date.UTC(2026, 10, 27, 11, 13));
    expect(at("2026-11-27T11")).toBe(Date.UTC(2026, 10, 27, 11));
    expect(at("2026-11-27T13+02:00")).toBe(Date.UTC(2026, 10, 27, 11));
    expect(at("2026-11-27 11:13")).toBe(Date.UTC(2026, 10, 27, 11, 13));
  });

  it("reads years before 100 as themselves, not as 19xx", () => {
    expect(new Date(at("0099-03-01T00:00:00Z")).getUTCFullYear()).toBe(99);
  });

  it("keeps 29 February of year 0 (a leap year), which a 19xx detour turned into 1 March", () => {
    expect(new Date(at("0000-02-29T12:00:00.000Z")).toISOString()).toBe("0000-02-29T12:00:00.000Z");
  });

  it("round-trips every Date an Event accepts, years outside 0000-9999 included (toISOString's +/-YYYYYY)", () => {
    for (const date of [
      new Date(8.64e15),
      new Date(-8.64e15),
      new Date(Date.UTC(10000, 0, 1)),
      new Date(Date.UTC(-1, 11, 31, 23, 59, 59, 999)),
      new Date("0000-02-29T00:00:00.000Z"),
    ]) {
      const event = new Event("a.b", "s", {}, date);
      expect(Event.fromDict(JSON.parse(JSON.stringify(event)) as unknown).timestamp.getTime()).toBe(date.getTime());
    }
    expect(new Date(at("+002026-11-27T11:13:29.123Z")).toISOString()).toBe("2026-11-27T11:13:29.123Z");
  });

  it("reads the instants at a Date's edges also where an offset puts the local time past them", () => {
    expect(at("+275760-09-13T01:00:00+01:00")).toBe(8.64e15);
    expect(at("-271821-04-19T23:00:00-01:00")).toBe(-8.64e15);
    expect(at("+275760-09-12T23:00:00.000-01:00")).toBe(8.64e15);
    for (const past of ["+275760-09-13T01:00:00Z", "+275760-09-13T00:00:00-00:00:01", "-271821-04-19T23:59:59Z"])
      expectCode(() => Event.fromDict({ ...validDict(), timestamp: past }), "EBUS_INVALID_EVENT");
  });

  it("agrees with Date on 2,000 random instants across its whole range, with and without an offset", () => {
    let seed = 12345;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2000; i++) {
      const ms = Math.round((random() * 2 - 1) * 8.6e15);
      expect(at(new Date(ms).toISOString())).toBe(ms);
      const offsetMin = Math.floor(random() * 2 * 1439) - 1439; // -23:59 to +23:59
      const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1);
      const sign = offsetMin < 0 ? "-" : "+";
      const abs = Math.abs(offsetMin);
      const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
      expect(at(`${local}${zone}`)).toBe(ms);
    }
  });

  it.each([
    "2026-11-27",
    "11:13:29",
    "yesterday",
    "2026-13-01T00:00:00Z",
    "2026-11-27T25:00:00Z",
    "",
    "1732706009",
    "2026-11-27T11:13:29+24:00",
    "2026-11-27T11:13:29+05:30:60",
    "2026-11-27T11:1",
    "2026-11-27  11:13:29",
    "2026-11-27T11:13:29.Z",
    "2026-11-27t11:13:29",
    "-000000-01-01T00:00:00Z",
    "+275760-09-13T00:00:00.001Z",
    "10000-01-01T00:00:00Z",
  ])("rejects %j naming the timestamp field", (timestamp) => {
    const err = expectCode(
      () => Event.fromDict({ ...validDict(), timestamp }),
      "EBUS_INVALID_EVENT",
    ) as InvalidEventError;
    expect(err.field).toBe("timestamp");
  });
});

describe("fromDict rejects wrong shapes with EBUS_INVALID_EVENT naming the field", () => {
  const without = (key: keyof EventDict): Record<string, unknown> => {
    const dict: Record<string, unknown> = { ...validDict() };
    delete dict[key];
    return dict;
  };

  it.each([
    ["event_id", without("event_id")],
    ["event_id", { ...validDict(), event_id: "" }],
    ["event_id", { ...validDict(), event_id: 5 }],
    ["event_type", without("event_type")],
    ["event_type", { ...validDict(), event_type: "task..x" }],
    ["event_type", { ...validDict(), event_type: "task.*" }],
    ["event_type", { ...validDict(), event_type: 3 }],
    ["source", without("source")],
    ["source", { ...validDict(), source: "" }],
    ["source", { ...validDict(), source: null }],
    ["timestamp", without("timestamp")],
    ["timestamp", { ...validDict(), timestamp: 1732706009000 }],
    ["timestamp", { ...validDict(), timestamp: new Date() }],
    ["data", without("data")],
    ["data", { ...validDict(), data: null }],
    ["data", { ...validDict(), data: [1, 2] }],
    ["data", { ...validDict(), data: "text" }],
    ["data", { ...validDict(), data: new Date() }],
    ["data", { ...validDict(), data: new Map() }],
  ] as [string, unknown][])("%s in %j", (field, input) => {
    const err = expectCode(() => Event.fromDict(input), "EBUS_INVALID_EVENT");
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).field).toBe(field);
  });

  it("an empty source breaks the rule `source is required`", () => {
    const err = expectCode(
      () => Event.fromDict({ ...validDict(), source: "" }),
      "EBUS_INVALID_EVENT",
    ) as InvalidEventError;
    expect(err.rule).toBe("source is required");
  });

  it.each([null, undefined, "{}", 42, [], [validDict()]])("rejects the non-object %j", (input) => {
    expectCode(() => Event.fromDict(input), "EBUS_INVALID_EVENT");
  });

  it("accepts data with a null prototype", () => {
    const data = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(Event.fromDict({ ...validDict(), data }).data["a"]).toBe(1);
  });
});

describe("prototype pollution", () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>)["polluted"];
  });

  it("keeps a `__proto__` key in data as an own property, through fromDict and the wire", () => {
    const wire =
      '{"event_id":"x","event_type":"a.b","source":"s","timestamp":"2026-01-01T00:00:00Z","data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}';
    const event = Event.fromDict(JSON.parse(wire));
    expect(Object.prototype.hasOwnProperty.call(event.data, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect((event.data as Record<string, unknown>)["polluted"]).toBeUndefined();
    // And back out: the wire form still carries the key.
    const again = JSON.parse(JSON.stringify(event)) as EventDict;
    expect(Object.prototype.hasOwnProperty.call(again.data, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("ignores a `__proto__` key at the top level of the dict", () => {
    const wire =
      '{"__proto__":{"polluted":true},"event_id":"x","event_type":"a","source":"s","timestamp":"2026-01-01T00:00:00Z","data":{}}';
    const event = Event.fromDict(JSON.parse(wire));
    expect(event.eventType).toBe("a");
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});
