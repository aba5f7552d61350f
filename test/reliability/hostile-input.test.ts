/**
 * Hostile input to the public surface: malformed patterns and event types of every shape, names
 * that are Object.prototype's own (`__proto__`, `constructor`, `toString`), unicode and lone
 * surrogates, and wire input built to pollute prototypes. Each gets a coded error or is handled
 * safely, and Object.prototype is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Event, EventBus } from "../../src/index.js";

const PROTO_KEYS_BEFORE = Object.getOwnPropertyNames(Object.prototype).sort();
const expectPrototypeUntouched = () => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_KEYS_BEFORE);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
};

let bus: EventBus;
beforeAll(() => {
  bus = new EventBus({ onError: () => undefined });
});
afterAll(async () => {
  await bus.close();
  expectPrototypeUntouched();
});

const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
};

const MALFORMED_NAMES: [string, unknown][] = [
  ["empty", ""],
  ["a lone dot", "."],
  ["an empty segment", "a..b"],
  ["a leading dot", ".a"],
  ["a trailing dot", "a."],
  ["too long (1025 chars)", "a".repeat(1025)],
  ["huge (10 MB)", "a".repeat(10 * 1024 * 1024)],
  ["too deep (33 segments)", Array(33).fill("a").join(".")],
  ["very deep (100k segments)", Array(100_000).fill("a").join(".")],
  ["whitespace", "a b"],
  ["a tab", "a\tb"],
  ["a newline", "a.b\n"],
  ["NUL", "a\u0000b"],
  ["DEL", "a\u007fb"],
  ["no-break space", "a\u00a0b"],
  ["line separator", "a\u2028b"],
  ["ideographic space", "a\u3000b"],
  ["'>'", "a.>"],
  ["non-string: number", 42],
  ["non-string: null", null],
  ["non-string: undefined", undefined],
  ["non-string: object", { toString: () => "a" }],
  ["non-string: array", ["a"]],
  ["non-string: symbol", Symbol("a")],
  ["non-string: String object", new String("a")],
];

const MALFORMED_PATTERNS_ONLY: [string, string][] = [
  ["star inside a segment", "ta*k.x"],
  ["star inside a non-final segment", "a.*b.c"],
  ["two stars", "**"],
  ["star not at the end of the last segment", "a.b*c"],
  ["star segment then nothing", "*."],
];

/** Valid names that are hostile to naive maps and tries. */
const ODD_BUT_VALID = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
  "__proto__.constructor.prototype",
  "constructor.prototype",
  "über.größe",
  "日本語.イベント",
  "emoji.🚀",
  "a".repeat(1024),
  Array(32).fill("s").join("."),
];

describe("malformed patterns", () => {
  it.each([...MALFORMED_NAMES, ...MALFORMED_PATTERNS_ONLY])(
    "%s: subscribe, getHistory and matches refuse it with EBUS_INVALID_PATTERN",
    (_, pattern) => {
      const before = bus.getSubscriptionCount();
      expect(code(() => bus.subscribe(pattern as string, () => undefined))).toBe("EBUS_INVALID_PATTERN");
      // getHistory({ pattern: undefined }) is no pattern at all: every event.
      if (pattern !== undefined)
        expect(code(() => bus.getHistory({ pattern: pattern as string }))).toBe("EBUS_INVALID_PATTERN");
      expect(code(() => new Event("a", "s").matches(pattern as string))).toBe("EBUS_INVALID_PATTERN");
      expect(bus.getSubscriptionCount()).toBe(before);
    },
  );
});

describe("malformed event types", () => {
  const withStars: [string, unknown][] = [
    ["a star", "a.*"],
    ["a star prefix", "ta*"],
  ];
  it.each([...MALFORMED_NAMES, ...withStars])(
    "%s: new Event and Event.fromDict refuse it with EBUS_INVALID_EVENT",
    (_, type) => {
      expect(code(() => new Event(type as string, "s"))).toBe("EBUS_INVALID_EVENT");
      const dict = { event_id: "x", event_type: type, source: "s", timestamp: "2026-01-01T00:00:00Z", data: {} };
      expect(code(() => Event.fromDict(dict))).toBe("EBUS_INVALID_EVENT");
    },
  );
});

describe("names that collide with Object.prototype, unicode, limits", () => {
  it.each(ODD_BUT_VALID)("%s works as a type and as a pattern, and matches nothing else", async (name) => {
    const local = new EventBus();
    const got: string[] = [];
    local.subscribe(name, (e) => void got.push(e.eventType));
    local.subscribe("*", () => undefined);
    expect(local.getSubscriptionCount(name)).toBe(1);
    expect(local.getSubscriptionCount("toString")).toBe(name === "toString" ? 1 : 0);
    for (const other of ODD_BUT_VALID) await local.emit(new Event(other, "hostile"));
    await local.emit(new Event(name, "hostile"));
    expect(got).toEqual([name, name]);
    const stats = local.getStats();
    expect(Object.prototype.hasOwnProperty.call(stats.eventCounts, name)).toBe(true);
    expect(stats.eventCounts[name]).toBe(2);
    expect(Object.keys(stats.eventCounts)).toHaveLength(ODD_BUT_VALID.length);
    expect(Object.getPrototypeOf(stats.eventCounts)).toBe(Object.prototype);
    expect(stats.patterns).toContain(name);
    expect(local.getHistory({ pattern: name }).map((e) => e.eventType)).toEqual([name, name]);
    expect(local.getHistory({ source: "__proto__" })).toEqual([]);
    await local.close();
    expectPrototypeUntouched();
  });

  it("lone surrogates are accepted as they are and matched code unit for code unit, consistently", async () => {
    // The grammar forbids only whitespace, control characters, '*' and '>': a lone surrogate is
    // legal. It must at least behave: match itself, not its neighbours, and survive the wire format.
    const local = new EventBus();
    const got: string[] = [];
    local.subscribe("a.\uD800", (e) => void got.push(e.eventType));
    local.subscribe("b.\uDBFF*", (e) => void got.push(e.eventType));
    for (const type of ["a.\uD800", "a.\uD801", "a.\uFFFD", "b.\uDBFF\uDC00", "b.\uDBFE"])
      await local.emit(new Event(type, "s"));
    expect(got).toEqual(["a.\uD800", "b.\uDBFF\uDC00"]);
    const back = Event.fromDict(JSON.parse(JSON.stringify(new Event("a.\uD800", "s"))));
    expect(back.eventType).toBe("a.\uD800");
    await local.close();
  });
});

describe("wire input built to pollute prototypes", () => {
  const base = { event_id: "x", event_type: "a", source: "s", timestamp: "2026-01-01T00:00:00Z" };

  it("__proto__ and constructor.prototype keys stay own data, in fromDict, emit, history and stats", async () => {
    const inputs = [
      JSON.parse(
        '{"event_id":"x","event_type":"a","source":"s","timestamp":"2026-01-01T00:00:00Z","data":{"__proto__":{"polluted":1}}}',
      ),
      JSON.parse(
        '{"event_id":"x","event_type":"a","source":"s","timestamp":"2026-01-01T00:00:00Z","data":{"constructor":{"prototype":{"polluted":1}}}}',
      ),
      JSON.parse(
        '{"__proto__":{"polluted":1},"event_id":"x","event_type":"a","source":"s","timestamp":"2026-01-01T00:00:00Z","data":{}}',
      ),
      JSON.parse(
        '{"constructor":{"prototype":{"polluted":1}},"event_id":"x","event_type":"a","source":"s","timestamp":"2026-01-01T00:00:00Z","data":{}}',
      ),
    ] as unknown[];
    const local = new EventBus();
    const seen: unknown[] = [];
    local.subscribe("*", (e) => void seen.push(e.data));
    for (const input of inputs) {
      const event = Event.fromDict(input);
      expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
      expect((event.data as Record<string, unknown>).polluted).toBeUndefined();
      await local.emit(event);
      expect(Event.fromDict(JSON.parse(JSON.stringify(event))).toDict()).toEqual(event.toDict());
    }
    expect(Object.keys(seen[0] as object)).toEqual(["__proto__"]);
    expect(Object.keys(seen[1] as object)).toEqual(["constructor"]);
    expect(local.getHistory()).toHaveLength(4);
    await local.close();
    expectPrototypeUntouched();
  });

  it("an object made from Event.prototype, or a revoked Proxy, is not an Event: emit rejects and records nothing", async () => {
    const fresh = new EventBus({ onError: () => undefined });
    const forged = Object.create(Event.prototype) as Event;
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    for (const input of [forged, revocable.proxy]) {
      await expect(fresh.emit(input as Event)).rejects.toMatchObject({ code: "EBUS_INVALID_EVENT" });
      await expect(fresh.emitMany([input as Event])).rejects.toMatchObject({ code: "EBUS_INVALID_EVENT" });
    }
    await expect(fresh.emitMany(revocable.proxy as never)).rejects.toMatchObject({ code: "EBUS_INVALID_EVENT" });
    expect(fresh.getHistory()).toEqual([]);
    expect(fresh.getStats().totalEventsEmitted).toBe(0);
    await fresh.close();
  });

  it("defineAll of anything but an object of schemas is refused with EBUS_INVALID_OPTIONS", () => {
    for (const input of [null, undefined, 5, "x", [], new Map([["a.b", z.object({})]]), new Date()])
      expect(code(() => bus.defineAll(input as never))).toBe("EBUS_INVALID_OPTIONS");
    expect(() => bus.defineAll(new Map() as never)).toThrow(/for a Map, pass Object\.fromEntries\(map\)/);
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(code(() => bus.defineAll(revoked.proxy as never))).toBe("EBUS_INVALID_OPTIONS");
    expect(code(() => bus.define("a.b", revoked.proxy as never))).toBe("EBUS_INVALID_OPTIONS");
    expect(code(() => new Event("a.b", "s", revoked.proxy as never))).toBe("EBUS_INVALID_EVENT");
  });

  it("data that is not a plain object is refused with EBUS_INVALID_EVENT", () => {
    for (const data of [null, [], "x", 1, new Date(), new Map(), Object.create({ inherited: 1 }) as object]) {
      expect(code(() => Event.fromDict({ ...base, data }))).toBe("EBUS_INVALID_EVENT");
    }
  });

  it("inputs whose reading throws (getters, proxies, revoked proxies) get EBUS_INVALID_EVENT, not a raw error", () => {
    const throwing = Object.defineProperty({ ...base, data: {} }, "event_type", {
      enumerable: true,
      get() {
        throw new Error("getter throws");
      },
    });
    const trapping = new Proxy(
      { ...base, data: {} },
      {
        get() {
          throw new Error("proxy trap throws");
        },
      },
    );
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    for (const input of [throwing, trapping, revocable.proxy])
      expect(code(() => Event.fromDict(input))).toBe("EBUS_INVALID_EVENT");
  });
});
