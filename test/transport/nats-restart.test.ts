/**
 * Connection loss: a private nats-server (own port, own store directory in a temp dir) is killed
 * mid-stream and started again on the same store. Needs the nats-server binary (NATS_SERVER_BIN).
 */
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Event, EventBus, type EmitResult } from "../../src/index.js";
import { NatsTransport, type NatsTransportOptions } from "../../src/transport/nats.js";
import { until } from "../support/async.js";
import { NATS_SERVER_BIN, PrivateNatsServer, NATS_POLL, uniqueName } from "../support/nats.js";

// Runs its own server, so it needs the binary, not the one on NATS_URL.
const enabled = existsSync(NATS_SERVER_BIN) || process.env["CI"] === "true";
if (!enabled)
  console.warn(
    `[transport/nats-restart.test.ts] SKIPPED: no nats-server binary at ${NATS_SERVER_BIN} (set NATS_SERVER_BIN). Under CI=true it runs and fails instead.`,
  );
const buses: EventBus[] = [];
let server: PrivateNatsServer | null = null;

afterAll(async () => {
  await server?.start().catch(() => undefined); // let the buses close cleanly
  await Promise.all(buses.map((b) => b.close()));
  await server?.dispose();
});

describe.skipIf(!enabled)("NATS bridge across a server restart", () => {
  it("reconnects, sends what was emitted while down, and loses or doubles nothing", async () => {
    server = await PrivateNatsServer.start();
    const prefix = uniqueName("nx");
    const stream = prefix.toUpperCase();
    const options = (durable: string, extra: Partial<NatsTransportOptions> = {}): NatsTransportOptions => ({
      servers: server!.url,
      prefix,
      stream,
      durable,
      publishTimeoutMs: 1000,
      connection: { reconnectTimeWait: 100 },
      ...extra,
    });
    const sender = new EventBus({ nodeId: "sender", onError: () => undefined });
    const small = new EventBus({ nodeId: "small", onError: () => undefined });
    const receiver = new EventBus({ nodeId: "receiver", onError: () => undefined });
    buses.push(sender, small, receiver);
    await receiver.bridge(new NatsTransport(options("receiver")));
    await sender.bridge(new NatsTransport(options("sender")));
    await small.bridge(new NatsTransport(options("small", { maxBuffered: 2 })));
    const seen: string[] = [];
    receiver.subscribe("*", (e) => void seen.push(e.eventId));

    const sent: Event[] = [];
    const results: EmitResult[] = [];
    const produce = (async () => {
      for (let n = 0; n < 60; n++) {
        const event = new Event("task.tick", "sender", { n });
        sent.push(event);
        results.push(await sender.emit(event));
      }
    })();
    await until(() => results.length >= 20, { ...NATS_POLL, message: "20 events through before the restart" });
    await server.stop();
    await until(() => sender.getStats().bridge?.state === "reconnecting", {
      ...NATS_POLL,
      message: "the sender notices",
    });
    await until(() => small.getStats().bridge?.state === "reconnecting", {
      ...NATS_POLL,
      message: "the small-buffer bus notices",
    });

    // While down: two are buffered, the third fails visibly instead of vanishing.
    const buffered = [
      small.emit(new Event("task.held", "small", { n: 1 })),
      small.emit(new Event("task.held", "small", { n: 2 })),
    ];
    const refused = await small.emit(new Event("task.held", "small", { n: 3 }));
    expect(refused).toMatchObject({ matched: 1, delivered: 0, failed: 1 });
    expect(refused.errors.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);

    await server.start();
    await produce;
    const heldResults = await Promise.all(buffered);
    expect(heldResults.map((r) => r.failed)).toEqual([0, 0]);
    expect(sender.getStats().bridge?.state).toBe("connected");

    // Whatever an EmitResult says was published arrives once; nothing failed silently.
    const failedIds = new Set(results.filter((r) => r.failed > 0).map((r) => r.eventId));
    for (const r of results.filter((r) => r.failed > 0))
      expect(r.errors.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);
    const published = sent.filter((e) => !failedIds.has(e.eventId)).map((e) => e.eventId);
    const expected = [...published, ...heldResults.map((r) => r.eventId)];
    await until(() => expected.every((id) => seen.includes(id)), {
      ...NATS_POLL,
      timeoutMs: 30_000,
      message: "every published event at the receiver",
    });
    // A marker after everything: a late duplicate would have arrived before it.
    const marker = new Event("task.marker", "sender");
    await sender.emit(marker);
    await until(() => seen.includes(marker.eventId), { ...NATS_POLL, message: "the marker" });
    expect(seen.filter((id) => id !== marker.eventId).sort()).toEqual([...expected].sort());
    expect(failedIds.size).toBe(0);
    // One publisher's events in the order published.
    expect(seen.filter((id) => published.includes(id))).toEqual(published);
  });

  it("fails emits visibly once the connection gives up reconnecting", async () => {
    const own = await PrivateNatsServer.start();
    const errors: string[] = [];
    const bus = new EventBus({ nodeId: "quitter", onError: (e) => errors.push(e.code) });
    buses.push(bus);
    try {
      await bus.bridge(
        new NatsTransport({
          servers: own.url,
          prefix: uniqueName("nq"),
          connection: { maxReconnectAttempts: 1, reconnectTimeWait: 50 },
        }),
      );
      expect(await bus.emit(new Event("task.before", "quitter"))).toMatchObject({ matched: 1, delivered: 1 });
      await own.stop();
      await until(() => bus.getStats().bridge?.state === "closed", {
        ...NATS_POLL,
        message: "the connection gives up",
      });
      const result = await bus.emit(new Event("task.after", "quitter"));
      expect(result).toMatchObject({ matched: 1, delivered: 0, failed: 1 });
      expect(result.errors.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);
      expect(errors).toContain("EBUS_TRANSPORT");
    } finally {
      await own.dispose();
    }
  });

  it("closes while the server is down: what waits for a connection fails visibly, close() resolves", async () => {
    const own = await PrivateNatsServer.start();
    const bus = new EventBus({ nodeId: "stranded", onError: () => undefined });
    buses.push(bus);
    try {
      const bridge = await bus.bridge(
        new NatsTransport({
          servers: own.url,
          prefix: uniqueName("ns"),
          stream: uniqueName("NS"),
          durable: "stranded",
          publishTimeoutMs: 500,
          connection: { reconnectTimeWait: 50 },
        }),
      );
      await own.stop();
      await until(() => bridge.stats().state === "reconnecting", { ...NATS_POLL, message: "the bridge notices" });
      const waiting = bus.emit(new Event("task.stranded", "stranded"));
      await bus.close();
      const result = await waiting;
      expect(result).toMatchObject({ matched: 1, delivered: 0, failed: 1 });
      expect(result.errors.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);
      expect(bridge.stats().state).toBe("closed");
    } finally {
      await own.dispose();
    }
  });
});
