/**
 * Bad patterns and bad event types: refused with the right code, naming the input and the rule.
 */
import { describe, expect, it } from "vitest";
import {
  Event,
  EventBus,
  InvalidEventError,
  InvalidPatternError,
  MAX_LENGTH,
  MAX_SEGMENTS,
  parsePattern,
} from "../../src/index.js";
import { expectCode } from "../support/assertions.js";

const noop = (): void => {};

/** Invalid for both patterns and event types. */
const INVALID_BOTH: readonly [string, unknown][] = [
  ["empty", ""],
  ["empty interior segment", "a..b"],
  ["leading dot", ".a"],
  ["trailing dot", "a."],
  ["just a dot", "."],
  ["'>' alone", ">"],
  ["'>' as the last segment (NATS full wildcard)", "a.>"],
  ["'>' inside a segment", "a>b"],
  ["a space", "task completed"],
  ["a leading space", " task"],
  ["a trailing space", "task "],
  ["a tab", "task\t.x"],
  ["a newline", "task\n"],
  ["a no-break space", "task\u00a0x"],
  ["a line separator", "a\u2028b"],
  ["an ideographic space", "a\u3000b"],
  ["NUL", "a\u0000b"],
  ["DEL", "a\u007fb"],
  ["a C1 control", "a\u0085b"],
  ["ESC", "\u001b[31m"],
  ["a number", 42],
  ["null", null],
  ["undefined", undefined],
  ["an object", { toString: () => "task.completed" }],
  ["an array", ["task", "completed"]],
  ["a String object", new String("task.completed")],
  ["a symbol", Symbol("task")],
  ["too long", "a".repeat(MAX_LENGTH + 1)],
  ["too long in segments", "ab.".repeat(400) + "x"],
  ["too many segments", Array.from({ length: MAX_SEGMENTS + 1 }, () => "a").join(".")],
];

/** Invalid patterns that hold `*` in places the grammar does not allow. */
const INVALID_STARS: readonly string[] = [
  "ta*k.x",
  "a.*b.c",
  "**",
  "a.**",
  "*a",
  "a.*b",
  "*a*",
  "a*b",
  "*.a*b",
  "***",
  "a.b*c.d",
  "a*.b",
];

const LIMIT_OK_LENGTH = "a".repeat(MAX_LENGTH);
const LIMIT_OK_SEGMENTS = Array.from({ length: MAX_SEGMENTS }, () => "a").join(".");

describe("subscribe refuses invalid patterns with EBUS_INVALID_PATTERN", () => {
  it.each([...INVALID_BOTH, ...INVALID_STARS.map((p) => [`star misuse ${p}`, p] as [string, unknown])])(
    "%s",
    (_name, pattern) => {
      const bus = new EventBus();
      const err = expectCode(() => bus.subscribe(pattern as string, noop), "EBUS_INVALID_PATTERN");
      expect(err).toBeInstanceOf(InvalidPatternError);
      const invalid = err as InvalidPatternError;
      expect(invalid.input).toBe(pattern);
      expect(typeof invalid.rule).toBe("string");
      expect(invalid.rule.length).toBeGreaterThan(0);
      // Nothing was subscribed.
      expect(bus.getSubscriptionCount()).toBe(0);
      expect(bus.getStats().patterns).toEqual([]);
    },
  );

  it("names the pattern in `pattern` when it is a string", () => {
    const err = expectCode(() => new EventBus().subscribe("a..b", noop), "EBUS_INVALID_PATTERN");
    expect(err.pattern).toBe("a..b");
  });

  it("Event.matches and parsePattern refuse the same patterns", () => {
    const event = new Event("task.completed", "test");
    for (const pattern of [...INVALID_BOTH.map(([, p]) => p), ...INVALID_STARS]) {
      expectCode(() => event.matches(pattern as string), "EBUS_INVALID_PATTERN");
      expectCode(() => parsePattern(pattern), "EBUS_INVALID_PATTERN");
    }
  });

  it("getHistory refuses the same patterns", () => {
    const bus = new EventBus();
    for (const pattern of INVALID_STARS) expectCode(() => bus.getHistory({ pattern }), "EBUS_INVALID_PATTERN");
  });

  it("accepts patterns right at the limits", () => {
    const bus = new EventBus();
    for (const pattern of [
      LIMIT_OK_LENGTH,
      LIMIT_OK_SEGMENTS,
      `${"a".repeat(MAX_LENGTH - 1)}*`,
      `${"a.".repeat(MAX_SEGMENTS - 1)}*`,
    ]) {
      expect(bus.subscribe(pattern, noop)).not.toBe("");
    }
    expect(bus.getSubscriptionCount()).toBe(4);
  });

  it("rejects a pattern one past the limits that ends in a wildcard", () => {
    const bus = new EventBus();
    expectCode(() => bus.subscribe(`${"a".repeat(MAX_LENGTH)}*`, noop), "EBUS_INVALID_PATTERN");
    expectCode(() => bus.subscribe(`${"a.".repeat(MAX_SEGMENTS)}*`, noop), "EBUS_INVALID_PATTERN");
  });
});

describe("Event refuses invalid event types with EBUS_INVALID_EVENT", () => {
  const stars = ["*", "task.*", "ta*", "*.failed", "a.*.b", ...INVALID_STARS];

  it.each([...INVALID_BOTH, ...stars.map((t) => [`'*' in ${t}`, t] as [string, unknown])])("%s", (_name, type) => {
    const err = expectCode(() => new Event(type as string, "test"), "EBUS_INVALID_EVENT");
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).field).toBe("event_type");
    expect((err as InvalidEventError).rule.length).toBeGreaterThan(0);
  });

  it.each([...INVALID_BOTH, ...stars.map((t) => [`'*' in ${t}`, t] as [string, unknown])])(
    "fromDict: %s",
    (_name, type) => {
      const dict = { event_id: "id1", event_type: type, source: "s", timestamp: "2026-01-01T00:00:00Z", data: {} };
      const err = expectCode(() => Event.fromDict(dict), "EBUS_INVALID_EVENT");
      expect((err as InvalidEventError).field).toBe("event_type");
    },
  );

  it("accepts types right at the limits, custom types and unicode", () => {
    for (const type of [LIMIT_OK_LENGTH, LIMIT_OK_SEGMENTS, "custom.event", "é.事件.🚀", "__proto__", "a-b_c:d"]) {
      expect(new Event(type, "test").eventType).toBe(type);
    }
  });

  it("requires a non-empty string source (`source is required`)", () => {
    for (const source of ["", undefined, null, 7]) {
      const err = expectCode(() => new Event("task.completed", source as string), "EBUS_INVALID_EVENT");
      expect((err as InvalidEventError).field).toBe("source");
      expect((err as InvalidEventError).rule).toBe("source is required");
    }
  });

  it("validates a type the second time too (the cache of valid types holds no invalid one)", () => {
    for (let i = 0; i < 2; i++) expectCode(() => new Event("a..b", "test"), "EBUS_INVALID_EVENT");
    for (let i = 0; i < 2; i++) expect(new Event("a.b", "test").eventType).toBe("a.b");
  });
});
