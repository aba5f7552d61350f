/**
 * The NATS bridge without a server (src/transport/subjects.ts, nats-options.ts): bus patterns as
 * NATS subjects and which subject covers which; NatsTransport's option defaults and refusals,
 * bridge() failing visibly when no server answers, nodeIds.
 */
import { describe, expect, it } from "vitest";
import { EventBus } from "../../src/index.js";
import { importSubjects, NatsTransport, patternToSubject, subjectCovers } from "../../src/transport/nats.js";

describe("bus patterns as NATS subjects (docs/architecture.md: the NATS bridge)", () => {
  it.each([
    ["*", "neuro.>"],
    ["task.*", "neuro.task.>"],
    ["task.completed", "neuro.task.completed"],
    ["*.failed", "neuro.*.failed"],
    ["agent.*.heartbeat", "neuro.agent.*.heartbeat"],
    ["ta*", "neuro.>"],
    ["task.comp*", "neuro.task.>"],
    ["*.x*", "neuro.*.>"],
  ])("%s -> %s", (pattern, subject) => {
    expect(patternToSubject("neuro", pattern)).toBe(subject);
  });

  it("keeps a multi-token prefix", () => {
    expect(patternToSubject("acme.neuro", "task.*")).toBe("acme.neuro.task.>");
  });

  it("refuses a pattern outside the grammar", () => {
    expect(() => patternToSubject("neuro", "ta*k.x")).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_PATTERN" }),
    );
  });

  it("knows which subject covers which", () => {
    expect(subjectCovers("n.>", "n.task.>")).toBe(true);
    expect(subjectCovers("n.task.>", "n.>")).toBe(false);
    expect(subjectCovers("n.*.failed", "n.task.failed")).toBe(true);
    expect(subjectCovers("n.task.failed", "n.*.failed")).toBe(false);
    expect(subjectCovers("n.*", "n.>")).toBe(false);
    expect(subjectCovers("n.>", "n")).toBe(false);
  });

  it("subscribes no subject that another import subject covers (no message twice)", () => {
    expect(importSubjects("neuro", ["task.*", "*", "ta*"])).toEqual(["neuro.>"]);
    expect(importSubjects("neuro", ["task.completed", "task.*", "*.failed"])).toEqual([
      "neuro.task.>",
      "neuro.*.failed",
    ]);
  });
});

describe("NatsTransport options", () => {
  it.each([
    [{ prefix: "neuro" }],
    [{ servers: "127.0.0.1:4222", prefix: "neu ro" }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro.>" }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", stream: "A.B" }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", durable: "orders" }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", export: ["a..b"] }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", imports: ["*"] }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", replicas: 0 }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", replicas: 7 }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", publishRetryMs: -1 }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", publishRetryMs: 1.5 }],
    // Accepted once, then refused by the server at bridge(), or unusable:
    [{ servers: "127.0.0.1:4222", prefix: "neuro", ackWaitMs: 1e13 }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", stream: "S", duplicateWindowMs: 1e15 }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", dedupeWindow: 5e9 }],
    [{ servers: "127.0.0.1:4222", prefix: "neuro", stream: "S", maxBuffered: 0 }],
  ])("refuses %j with EBUS_INVALID_OPTIONS", (options) => {
    expect(() => new NatsTransport(options as never)).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }),
    );
  });

  it("maxBuffered 0 is core NATS's no-buffering; with a stream it is refused with the reason", () => {
    expect(new NatsTransport({ servers: "127.0.0.1:4222", prefix: "neuro", maxBuffered: 0 }).options.maxBuffered).toBe(
      0,
    );
    expect(
      () => new NatsTransport({ servers: "127.0.0.1:4222", prefix: "neuro", stream: "S", maxBuffered: 0 }),
    ).toThrow(/maxBuffered: at least 1 with a stream/);
  });

  it("defaults: one replica, a 5 s retry budget per emit, 1 s per try", () => {
    expect(new NatsTransport({ servers: "127.0.0.1:4222", prefix: "neuro" }).options).toMatchObject({
      replicas: 1,
      publishRetryMs: 5000,
      publishTimeoutMs: 1000,
    });
    expect(
      new NatsTransport({ servers: "127.0.0.1:4222", prefix: "neuro", replicas: 3, publishRetryMs: 0 }).options,
    ).toMatchObject({ replicas: 3, publishRetryMs: 0 });
  });

  it("fails bridge() visibly when no server answers", async () => {
    const bus = new EventBus();
    const transport = new NatsTransport({ servers: "127.0.0.1:1", prefix: "neuro", connection: { timeout: 500 } });
    await expect(bus.bridge(transport)).rejects.toMatchObject({ code: "EBUS_TRANSPORT" });
    expect(bus.getStats().bridge).toBeUndefined();
    await bus.close();
  });

  it("gives every bus a nodeId, random when the option is absent", () => {
    const a = new EventBus();
    const b = new EventBus();
    expect(typeof a.nodeId).toBe("string");
    expect(a.nodeId).not.toBe(b.nodeId);
    expect(new EventBus({ nodeId: "orders-1" }).nodeId).toBe("orders-1");
  });
});
