/**
 * The mistakes a newcomer makes, each refused at once with a stable code and a message that names
 * the rule, what was received, and the fix (never accepted silently, never a message for another
 * rule).
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Event, offload, type BridgeLink, type BusTransport } from "../../src/index.js";
import { expectCode, expectRejectCode } from "../support/assertions.js";
import { useBuses } from "../support/buses.js";
import { HANDLERS } from "../support/offload.js";

const newBus = useBuses();

describe("patterns from other libraries", () => {
  it.each([
    ["task.#", `'#' is not a wildcard in this grammar: "task.*" already matches every depth below "task"`],
    ["task.**", `'**' is not a wildcard in this grammar: "task.*" already matches every depth below "task"`],
    ["#", `"*" matches every event`],
    ["a.#.b", `use '*' for exactly one segment ("a.*.b")`],
    ["a.**.b", `use '*' for exactly one segment ("a.*.b")`],
  ])("subscribe(%j) is refused with EBUS_INVALID_PATTERN and the hint", (pattern, hint) => {
    const bus = newBus();
    const err = expectCode(() => bus.subscribe(pattern, () => undefined), "EBUS_INVALID_PATTERN");
    expect(err.message).toContain(JSON.stringify(pattern));
    expect(err.message).toContain(hint);
    expect(bus.getSubscriptionCount()).toBe(0);
  });

  it("task.* already matches what task.# would in MQTT: every depth", async () => {
    const bus = newBus();
    const seen: string[] = [];
    bus.subscribe("task.*", (e) => void seen.push(e.eventType));
    for (const type of ["task.x", "task.x.y", "task.x.y.z"]) await bus.emit(new Event(type, "s"));
    expect(seen).toEqual(["task.x", "task.x.y", "task.x.y.z"]);
  });
});

describe("options are strict everywhere", () => {
  it.each([
    [{ timeout: 5 }, /Unrecognized key: "timeout"/],
    ["soon", /expected object, received string/],
    [{ timeoutMs: -1 }, /timeoutMs/],
  ])("close(%j) rejects with EBUS_INVALID_OPTIONS and leaves the bus open", async (options, message) => {
    const bus = newBus();
    const err = await expectRejectCode(bus.close(options as never), "EBUS_INVALID_OPTIONS");
    expect(err.message).toMatch(message);
    expect(err.message).toContain("close takes { timeoutMs?: number }");
    expect(bus.isClosed).toBe(false);
    await bus.emit(new Event("a.b", "s"));
  });

  it("close({ timeoutMs }) and close() still work", async () => {
    await newBus().close({ timeoutMs: 10 });
    await newBus().close();
  });

  it("null is not an options object, anywhere (it was taken for no options in some places only)", async () => {
    expectCode(() => newBus(null as never), "EBUS_INVALID_OPTIONS");
    const bus = newBus();
    expectCode(() => bus.subscribe("a", () => undefined, null as never), "EBUS_INVALID_OPTIONS");
    expectCode(() => bus.metrics(null as never), "EBUS_INVALID_OPTIONS");
    expectCode(() => bus.getHistory(null as never), "EBUS_INVALID_OPTIONS");
    await expectRejectCode(bus.waitFor("a", null as never), "EBUS_INVALID_OPTIONS");
    await expectRejectCode(bus.close(null as never), "EBUS_INVALID_OPTIONS");
    expect(bus.isClosed).toBe(false);
    expect(bus.getSubscriptionCount()).toBe(0);
  });

  it("a timeout longer than a timer can wait is refused (Node would fire it after 1 ms)", async () => {
    const tooLong = 2 ** 31;
    const bus = newBus();
    const rule = /at most 2147483647 ms/;
    expect((await expectRejectCode(bus.waitFor("a", { timeoutMs: tooLong }), "EBUS_INVALID_OPTIONS")).message).toMatch(
      rule,
    );
    expect((await expectRejectCode(bus.close({ timeoutMs: tooLong }), "EBUS_INVALID_OPTIONS")).message).toMatch(rule);
    expect(bus.isClosed).toBe(false);
    expect(expectCode(() => offload(HANDLERS, "act", { timeoutMs: tooLong }), "EBUS_INVALID_HANDLER").message).toMatch(
      rule,
    );
    expect(expectCode(() => newBus({ workers: { idleTimeout: tooLong } }), "EBUS_INVALID_OPTIONS").message).toMatch(
      rule,
    );
    // The longest a timer waits is still accepted.
    const waiting = bus.waitFor("a", { timeoutMs: tooLong - 1 });
    await bus.emit(new Event("a", "s"));
    await expect(waiting).resolves.toBeInstanceOf(Event);
  });

  it("a worker stack so small that Node would abort the whole process is refused", () => {
    for (const stackSizeMb of [0.01, 0.1, 0.5]) {
      const err = expectCode(() => newBus({ workers: { resourceLimits: { stackSizeMb } } }), "EBUS_INVALID_OPTIONS");
      expect(err.message).toMatch(/stackSizeMb: at least 1 MB/);
    }
    newBus({ workers: { resourceLimits: { stackSizeMb: 1 } } });
  });

  it("maxHistory beyond what memory could hold is refused with the limit", () => {
    for (const maxHistory of [2 ** 32, Number.MAX_SAFE_INTEGER, Infinity]) {
      const err = expectCode(() => newBus({ maxHistory }), "EBUS_INVALID_OPTIONS");
      expect(err.message).toMatch(/maxHistory/);
    }
    expect(expectCode(() => newBus({ maxHistory: 2 ** 32 }), "EBUS_INVALID_OPTIONS").message).toMatch(
      /at most 100,000,000/,
    );
  });
});

describe("offload of a TypeScript module", () => {
  it("is refused at offload() with EBUS_INVALID_HANDLER and the fix, not at every delivery", () => {
    const err = expectCode(() => offload(fileURLToPath(import.meta.url), "handle"), "EBUS_INVALID_HANDLER");
    expect(err.message).toContain("is TypeScript");
    expect(err.message).toContain("compile it (tsc) and offload the .js file");
  });

  it("a JavaScript module is still accepted", () => {
    expect(offload(HANDLERS, "act").module.endsWith(".mjs")).toBe(true);
  });
});

describe("messages that name the rule, what was received, and the fix", () => {
  it("an event type with '*' names the event-type rule, not the pattern rule", () => {
    const err = expectCode(() => new Event("task.*", "s"), "EBUS_INVALID_EVENT");
    expect(err.message).toBe(
      `invalid event: event_type: an event type holds no '*': wildcards belong in subscribe() patterns, an event has one concrete type; got a string ("task.*")`,
    );
    expect(err.message).not.toContain("whole segment");
  });

  it("define() of a pattern says the same", () => {
    const err = expectCode(() => newBus().define("task.*" as never, z.object({})), "EBUS_INVALID_EVENT");
    expect(err.message).toContain("wildcards belong in subscribe() patterns");
  });

  it.each([
    ["hello", `got a string ("hello")`],
    [["a"], "got an array"],
    [42, "got a number (42)"],
  ])("new Event(type, source, %j) names what data was", (data, got) => {
    const err = expectCode(() => new Event("a.b", "s", data as never), "EBUS_INVALID_EVENT");
    expect(err.message).toContain("data: must be an object of the event's fields, not an array or a primitive");
    expect(err.message).toContain(got);
  });

  it("Event.fromDict with the Event's own camelCase names hints at the snake_case wire keys", () => {
    const event = new Event("a.b", "s", { n: 1 });
    const camel = {
      eventId: event.eventId,
      eventType: event.eventType,
      source: "s",
      timestamp: event.timestamp.toISOString(),
      data: {},
    };
    const err = expectCode(() => Event.fromDict(camel), "EBUS_INVALID_EVENT");
    expect(err.message).toContain("event_id");
    expect(err.message).toContain("the wire format's keys are snake_case");
    expect(err.message).toContain("eventId -> event_id, eventType -> event_type");
    expect(err.message).toContain("event.toDict()");
    expect(Event.fromDict(event.toDict()).eventId).toBe(event.eventId);
  });

  it("a schema failure inside emitMany names the event that failed", async () => {
    const bus = newBus();
    bus.define("task.completed", z.looseObject({ task_id: z.string() }));
    const seen: string[] = [];
    bus.subscribe("*", (e) => void seen.push(e.eventId));
    const events = [
      new Event("task.completed", "s", { task_id: "t1" }),
      new Event("task.started", "s"),
      new Event("task.completed", "s", { task_id: 7 }),
    ];
    const err = await expectRejectCode(bus.emitMany(events), "EBUS_INVALID_EVENT");
    expect(err.message).toMatch(/^invalid event: events\[2\]\.data\.task_id: .*schema of "task\.completed"/);
    expect(seen).toEqual([]);
  });

  it("emit and emitMany of a non-Event say what they got", async () => {
    const bus = newBus();
    const one = await expectRejectCode(bus.emit({ eventType: "a.b" } as never), "EBUS_INVALID_EVENT");
    expect(one.message).toContain(
      "must be an Event: new Event(type, source, data), or Event.fromDict(dict) for wire input; got an object",
    );
    const many = await expectRejectCode(bus.emitMany([new Event("a.b", "s"), "a.b"] as never), "EBUS_INVALID_EVENT");
    expect(many.message).toContain(`events[1]: must be an Event`);
    expect(many.message).toContain(`got a string ("a.b")`);
  });

  it("subscribe of something that is not a handler says what it got", () => {
    const err = expectCode(() => newBus().subscribe("a.b", "handler" as never), "EBUS_INVALID_HANDLER");
    expect(err.message).toBe(`handler must be a function or an offload() descriptor; got a string ("handler")`);
  });

  it("a class or a generator function as handler is refused: its body would never run", () => {
    const bus = newBus();
    class Handler {
      handle(): void {}
    }
    const classErr = expectCode(() => bus.subscribe("a.b", Handler as never), "EBUS_INVALID_HANDLER");
    expect(classErr.message).toMatch(/a class cannot be called without `new`/);
    for (const generator of [
      function* () {
        yield 1;
      },
      async function* () {
        yield 1;
      },
    ]) {
      const err = expectCode(() => bus.subscribe("a.b", generator as never), "EBUS_INVALID_HANDLER");
      expect(err.message).toMatch(/generator function's body does not run/);
    }
    expect(bus.getSubscriptionCount()).toBe(0);
    // Plain, async and arrow functions, and methods named like "class...", are handlers.
    const methods = { classify(): void {}, class(): void {}, class$(): void {} };
    for (const fn of [function () {}, async () => {}, () => {}, methods.classify, methods.class, methods.class$])
      bus.subscribe("a.b", fn);
    expect(bus.getSubscriptionCount()).toBe(6);
  });
});

describe("a second bridge", () => {
  /** A transport that needs no server: its link publishes nothing. */
  function fakeTransport(): BusTransport & { closed: number } {
    const transport = {
      closed: 0,
      attach: async (): Promise<BridgeLink> => {
        let state: "connected" | "closed" = "connected";
        return {
          nodeId: "fake",
          stats: () => ({ state, published: 0, received: 0, duplicates: 0, invalid: 0, dropped: 0, retries: 0 }),
          close: async () => {
            state = "closed";
            transport.closed++;
          },
          onLocalEmit: () => "skipped",
        };
      },
    };
    return transport;
  }

  it("is refused with EBUS_ALREADY_BRIDGED while the first is open, and accepted once it is closed", async () => {
    const bus = newBus();
    const first = await bus.bridge(fakeTransport());
    const err = await expectRejectCode(bus.bridge(fakeTransport()), "EBUS_ALREADY_BRIDGED");
    expect(err.message).toContain("close it (await bridge.close()) before bridging again");
    await first.close();
    const second = await bus.bridge(fakeTransport());
    expect(second.stats().state).toBe("connected");
  });

  it("two bridge() calls at once: one is refused while the other sets up (both succeeded, one link leaked)", async () => {
    const bus = newBus();
    const outcomes = await Promise.allSettled([bus.bridge(fakeTransport()), bus.bridge(fakeTransport())]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "EBUS_ALREADY_BRIDGED" });
    // A setup that fails leaves the bus free to bridge again.
    const failing: BusTransport = { attach: () => Promise.reject(new Error("no server")) };
    await (outcomes[0] as PromiseFulfilledResult<{ close(): Promise<void> }>).value.close();
    await expect(bus.bridge(failing)).rejects.toThrow(/no server/);
    expect((await bus.bridge(fakeTransport())).stats().state).toBe("connected");
  });
});
