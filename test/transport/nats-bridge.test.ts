/**
 * The NATS bridge against a real nats-server (JetStream) on NATS_URL: two buses in this process,
 * each with its own connection. The two-process and server-restart cases are in their own files.
 */
import { afterAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Event, EventBus, type BusError } from "../../src/index.js";
import { NatsTransport, ORIGIN_HEADER } from "../../src/transport/nats.js";
import { deferred, until } from "../support/async.js";
import {
  NATS_POLL,
  NATS_URL,
  natsBuses,
  natsTestsEnabled,
  rawConnection,
  uniqueName,
  withJetStream,
} from "../support/nats.js";

const enabled = await natsTestsEnabled("transport/nats-bridge.test.ts");
const { names, bridged, keep, cleanup } = natsBuses("nb");

async function consumerInfo(stream: string, durable: string): Promise<{ ackPending: number; pending: number }> {
  const info = await withJetStream((jsm) => jsm.consumers.info(stream, durable));
  return { ackPending: info.num_ack_pending, pending: info.num_pending };
}

const settledConsumer = async (stream: string, durable: string): Promise<boolean> => {
  const info = await consumerInfo(stream, durable);
  return info.ackPending === 0 && info.pending === 0;
};

afterAll(() => cleanup(enabled));

describe.skipIf(!enabled)("NATS bridge (JetStream)", () => {
  it("exchanges exported events exactly once, without echo, and counts the bridge as one delivery target", async () => {
    const { prefix, stream } = names();
    const a = await bridged("a", { prefix, stream, durable: "a", export: ["task.*"] });
    const b = await bridged("b", { prefix, stream, durable: "b" });
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.subscribe("*", (e) => void seenA.push(e.eventId));
    b.subscribe("*", (e) => void seenB.push(e.eventId));

    const fromA = Array.from({ length: 20 }, (_, n) => new Event("task.started", "a", { n }));
    const resultsA = await a.emitMany(fromA);
    const local = await a.emit(new Event("other.thing", "a"));
    const fromB = Array.from({ length: 20 }, (_, n) => new Event("agent.heartbeat", "b", { n }));
    await b.emitMany(fromB);

    expect(resultsA[0]).toMatchObject({ matched: 2, delivered: 2, failed: 0 });
    expect(local).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
    await until(() => seenA.length >= 41 && seenB.length >= 40, { ...NATS_POLL, message: "both buses see all events" });
    // Every message, own publishes included, is acked: nothing more will be dispatched.
    await until(async () => (await settledConsumer(stream, "a")) && (await settledConsumer(stream, "b")), {
      ...NATS_POLL,
      message: "consumers drained",
    });

    const idsA = fromA.map((e) => e.eventId);
    const idsB = fromB.map((e) => e.eventId);
    expect([...seenA].sort()).toEqual([...idsA, local.eventId, ...idsB].sort());
    expect([...seenB].sort()).toEqual([...idsA, ...idsB].sort());
    expect(seenB).toEqual(expect.arrayContaining(idsA));
    // One publisher's events are dispatched in the order published.
    expect(seenB.filter((id) => idsA.includes(id))).toEqual(idsA);
    expect(a.getStats().bridge).toEqual({
      state: "connected",
      published: 20,
      received: 20,
      duplicates: 0,
      invalid: 0,
      dropped: 0,
      retries: 0,
    });
    expect(b.getStats().bridge).toMatchObject({ state: "connected", published: 20, received: 20 });
  });

  it("counts, reports, acks and drops invalid wire messages; none reaches a handler", async () => {
    const { prefix, stream } = names();
    const errors: BusError[] = [];
    const bus = await bridged("victim", { prefix, stream, durable: "victim", maxEventBytes: 2048 }, errors);
    const seen: Event[] = [];
    bus.subscribe("*", (e) => void seen.push(e));

    const nc = await rawConnection();
    const js = jetstream(nc);
    const good = new Event("task.ok", "raw", { fine: true });
    const dict = (type: string, data: object = {}) =>
      JSON.stringify({ ...good.toDict(), event_id: uniqueName("id"), event_type: type, data });
    await js.publish(`${prefix}.task.a`, "not json {");
    await js.publish(`${prefix}.task.a`, JSON.stringify({ hello: "world" }));
    await js.publish(`${prefix}.bad`, dict("bad type"));
    await js.publish(`${prefix}.task.a`, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    await js.publish(`${prefix}.task.big`, dict("task.big", { blob: "x".repeat(3000) }));
    await js.publish(`${prefix}.task.b`, dict("task.a"));
    await js.publish(`${prefix}.task.ok`, JSON.stringify(good));
    await nc.close();

    await until(() => seen.length === 1, { ...NATS_POLL, message: "the valid event" });
    await until(() => settledConsumer(stream, "victim"), { ...NATS_POLL, message: "every message acked" });
    expect(seen[0]!.eventId).toBe(good.eventId);
    expect(bus.getStats().bridge).toMatchObject({ invalid: 6, received: 1 });
    expect(errors.map((e) => e.code)).toEqual(Array(6).fill("EBUS_TRANSPORT"));
    expect((await bus.emit(new Event("task.after", "victim"))).failed).toBe(0);
  });

  it("drops a redelivered event it has already dispatched", async () => {
    const { prefix, stream } = names();
    const bus = await bridged("dedupe", { prefix, stream, durable: "dedupe" });
    const seen: string[] = [];
    bus.subscribe("*", (e) => void seen.push(e.eventId));
    const event = new Event("task.once", "raw");
    const nc = await rawConnection();
    // Past the stream's duplicate window the same event can be stored twice (here: no msgID).
    await jetstream(nc).publish(`${prefix}.task.once`, JSON.stringify(event));
    await jetstream(nc).publish(`${prefix}.task.once`, JSON.stringify(event));
    await nc.close();
    await until(() => settledConsumer(stream, "dedupe"), { ...NATS_POLL, message: "both copies acked" });
    expect(seen).toEqual([event.eventId]);
    expect(bus.getStats().bridge).toMatchObject({ received: 1, duplicates: 1 });
  });

  it("slows consumption to maxAckPending while a handler is slow, then catches up", async () => {
    const { prefix, stream } = names();
    const sender = await bridged("sender", { prefix, stream, durable: "sender" });
    const slow = await bridged("slow", { prefix, stream, durable: "slow", maxAckPending: 4 });
    const gate = deferred();
    let calls = 0;
    slow.subscribe("task.*", async () => {
      calls++;
      await gate.promise;
    });
    await sender.emitMany(Array.from({ length: 40 }, (_, n) => new Event("task.queued", "sender", { n })));
    await until(
      async () => {
        const info = await consumerInfo(stream, "slow");
        return info.ackPending === 4 && info.pending === 36;
      },
      { ...NATS_POLL, message: "server holding back all but 4" },
    );
    expect(calls).toBe(4);
    gate.resolve();
    await until(() => calls === 40, { ...NATS_POLL, message: "all 40 handled" });
    await until(() => settledConsumer(stream, "slow"), { ...NATS_POLL, message: "all acked" });
  });

  it("close() waits for the handlers, acks, drains; later emits stay local", async () => {
    const { prefix, stream } = names();
    const sender = await bridged("s", { prefix, stream, durable: "s" });
    const receiver = keep(new EventBus({ nodeId: "r" }));
    const bridge = await receiver.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, durable: "r" }));
    const gate = deferred();
    let started = 0;
    let finished = 0;
    receiver.subscribe("task.*", async () => {
      started++;
      await gate.promise;
      finished++;
    });
    await sender.emitMany(Array.from({ length: 5 }, () => new Event("task.slow", "s")));
    await until(() => started === 5, { ...NATS_POLL, message: "5 handlers started" });
    const closed = bridge.close();
    gate.resolve();
    await closed;
    expect(finished).toBe(5);
    expect(bridge.stats()).toMatchObject({ state: "closed", received: 5 });
    expect(await consumerInfo(stream, "r")).toEqual({ ackPending: 0, pending: 0 });
    expect(await receiver.emit(new Event("task.local", "r"))).toMatchObject({ matched: 1, delivered: 1 });
  });

  it("replays the stream from its start for a new consumer with startAt: first, not without", async () => {
    const { prefix, stream } = names();
    const early = await bridged("early", { prefix, stream, durable: "early" });
    await early.emitMany([new Event("task.a", "early"), new Event("task.b", "early")]);
    const fresh = await bridged("fresh", { prefix, stream, durable: "fresh" });
    const replay = await bridged("replay", { prefix, stream, durable: "replay", startAt: "first" });
    const seenFresh: string[] = [];
    const seenReplay: string[] = [];
    fresh.subscribe("*", (e) => void seenFresh.push(e.eventType));
    replay.subscribe("*", (e) => void seenReplay.push(e.eventType));
    await until(() => seenReplay.length === 2, { ...NATS_POLL, message: "replay of both" });
    await early.emit(new Event("task.c", "early"));
    await until(() => seenFresh.length === 1 && seenReplay.length === 3, { ...NATS_POLL, message: "the new event" });
    expect(seenFresh).toEqual(["task.c"]);
    expect(seenReplay).toEqual(["task.a", "task.b", "task.c"]);
  });

  it("shows a publish that cannot be made as a failed delivery (EBUS_TRANSPORT)", async () => {
    const { prefix, stream } = names();
    const errors: BusError[] = [];
    const bus = await bridged("big", { prefix, stream, durable: "big", maxEventBytes: 512 }, errors);
    bus.subscribe("task.*", () => undefined);
    const result = await bus.emit(new Event("task.huge", "big", { blob: "x".repeat(1000) }));
    expect(result).toMatchObject({ matched: 2, delivered: 1, failed: 1 });
    expect(result.errors.map((e) => e.code)).toEqual(["EBUS_TRANSPORT"]);
    const unencodable = await bus.emit(new Event("task.bigint", "big", { n: 1n }));
    expect(unencodable).toMatchObject({ matched: 2, delivered: 1, failed: 1 });
    expect(errors.map((e) => e.code)).toEqual(["EBUS_TRANSPORT", "EBUS_TRANSPORT"]);
  });

  it("lets in only imported types, a character prefix matched locally (ta* takes tab.x, not tb.x)", async () => {
    const { prefix, stream } = names();
    const sender = await bridged("out", { prefix, stream, durable: "out" });
    const picky = await bridged("picky", { prefix, stream, durable: "picky", import: ["ta*"] });
    const seen: string[] = [];
    picky.subscribe("*", (e) => void seen.push(e.eventType));
    await sender.emitMany([
      new Event("tb.x", "out"),
      new Event("tab.x", "out"),
      new Event("task.y", "out"),
      new Event("other", "out"),
    ]);
    await until(() => settledConsumer(stream, "picky"), { ...NATS_POLL, message: "all acked" });
    expect(seen).toEqual(["tab.x", "task.y"]);
  });
});

describe.skipIf(!enabled)("NATS bridge: a stream without a durable", () => {
  it("uses an ephemeral consumer, and deletes it on close", async () => {
    const { prefix, stream } = names();
    const sender = await bridged("eph-s", { prefix, stream, import: [] });
    const receiver = keep(new EventBus({ nodeId: "eph-r" }));
    const bridge = await receiver.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream }));
    const seen: string[] = [];
    receiver.subscribe("*", (e) => void seen.push(e.eventType));
    await sender.emit(new Event("task.eph", "eph-s"));
    await until(() => seen.length === 1, { ...NATS_POLL, message: "the event" });
    const nc = await rawConnection();
    const jsm = await jetstreamManager(nc);
    const count = async () => (await jsm.streams.info(stream)).state.consumer_count;
    expect(await count()).toBe(1);
    await bridge.close();
    expect(await count()).toBe(0);
    await nc.close();
  });
});

describe.skipIf(!enabled)("NATS bridge: one-way nodes", () => {
  it("export: [] publishes nothing; import: [] creates no consumer and receives nothing", async () => {
    const { prefix, stream } = names();
    const listener = await bridged("listener", { prefix, stream, durable: "listener", export: [] });
    const talker = await bridged("talker", { prefix, stream, durable: "talker", import: [] });
    const heardByListener: string[] = [];
    const heardByTalker: string[] = [];
    listener.subscribe("*", (e) => void heardByListener.push(e.eventType));
    talker.subscribe("*", (e) => void heardByTalker.push(e.eventType));
    expect(await listener.emit(new Event("task.quiet", "listener"))).toMatchObject({ matched: 1, delivered: 1 });
    expect(await talker.emit(new Event("task.loud", "talker"))).toMatchObject({ matched: 2, delivered: 2 });
    await until(() => heardByListener.length === 2, { ...NATS_POLL, message: "the listener hears the talker" });
    await until(() => settledConsumer(stream, "listener"), { ...NATS_POLL, message: "listener consumer drained" });
    expect(heardByListener).toEqual(["task.quiet", "task.loud"]);
    expect(heardByTalker).toEqual(["task.loud"]);
    await expect(consumerInfo(stream, "talker")).rejects.toMatchObject({ code: 10014 });
    expect(listener.getStats().bridge).toMatchObject({ published: 0, received: 1 });
  });
});

describe.skipIf(!enabled)("NATS bridge (core NATS, at-most-once)", () => {
  it("exchanges events once each, without echo", async () => {
    const prefix = uniqueName("nc");
    const watcher = await rawConnection();
    const origins: (string | undefined)[] = [];
    watcher.subscribe(`${prefix}.>`, { callback: (_err, msg) => void origins.push(msg.headers?.get(ORIGIN_HEADER)) });
    await watcher.flush();
    const a = await bridged("ca", { prefix });
    const b = await bridged("cb", { prefix });
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.subscribe("*", (e) => void seenA.push(e.eventId));
    b.subscribe("*", (e) => {
      seenB.push(e.eventId);
      if (e.eventType === "task.last") void b.emit(new Event("task.reply", "cb"));
    });
    const events = [...Array.from({ length: 10 }, () => new Event("task.x", "ca")), new Event("task.last", "ca")];
    const results = await a.emitMany(events);
    expect(results[0]).toMatchObject({ matched: 2, delivered: 2 });
    await until(() => seenA.length === 12, { ...NATS_POLL, message: "the reply comes back to a" });
    expect(seenA.slice(0, 11)).toEqual(events.map((e) => e.eventId));
    expect(seenB.slice(0, 11)).toEqual(events.map((e) => e.eventId));
    expect(new Set(seenA).size).toBe(12);
    expect(a.getStats().bridge).toMatchObject({ state: "connected", published: 11, received: 1 });
    await until(() => origins.length === 12, { ...NATS_POLL, message: "the watcher sees all 12" });
    expect(origins).toEqual([...Array(11).fill("ca"), "cb"]);
    await watcher.close();
  });
});

describe.skipIf(!enabled)("NATS bridge (core NATS): maxInFlight", () => {
  it("drops what arrives while maxInFlight events are being handled: reported, counted in dropped, the rest still handled", async () => {
    const prefix = uniqueName("nf");
    const errors: BusError[] = [];
    const sender = await bridged("nf-s", { prefix, import: [] });
    const receiver = await bridged("nf-r", { prefix, export: [], maxInFlight: 2 }, errors);
    const gate = deferred<void>();
    const handled: string[] = [];
    receiver.subscribe("task.*", async (e) => {
      handled.push(e.eventId);
      await gate.promise;
    });
    const events = Array.from({ length: 5 }, () => new Event("task.slow", "s"));
    for (const event of events) await sender.emit(event);
    await until(() => errors.length === 3, { ...NATS_POLL, message: "three events are dropped" });
    expect(handled).toEqual(events.slice(0, 2).map((e) => e.eventId));
    expect(errors.map((e) => e.code)).toEqual(["EBUS_TRANSPORT", "EBUS_TRANSPORT", "EBUS_TRANSPORT"]);
    expect(errors[0]!.message).toContain(`(maxInFlight): event ${events[2]!.eventId} dropped`);
    expect(receiver.getStats().bridge).toMatchObject({ received: 0, dropped: 3 });
    gate.resolve();
    await until(() => receiver.getStats().bridge?.received === 2, { ...NATS_POLL, message: "the two settle" });
    const after = new Event("task.after", "s");
    await sender.emit(after);
    await until(() => handled.length === 3, { ...NATS_POLL, message: "a later event is handled" });
    expect(handled[2]).toBe(after.eventId);
    expect(receiver.getStats().bridge).toMatchObject({ received: 3, dropped: 3 });
  });
});

describe.skipIf(!enabled)("NATS bridge: what goes on the wire", () => {
  // The payload is encoded with Buffer.from and the subject kept for the last type published.
  // JSON.stringify writes a lone surrogate as a \uD800 escape, so no byte of it is ill-formed.
  const text = { greek: "αβγ", cjk: "漢字", emoji: "🚀", nul: "a\u0000b", lone: "x\uD800y" };
  for (const mode of ["core", "jetstream"] as const) {
    it(`${mode}: non-ASCII text arrives intact (a lone surrogate too: JSON escapes it), types interleaved land on their own subjects`, async () => {
      const { prefix, stream } = names();
      const watcher = await rawConnection();
      const subjects: string[] = [];
      watcher.subscribe(`${prefix}.>`, { callback: (_err, msg) => void subjects.push(msg.subject) });
      await watcher.flush();
      const where = mode === "core" ? {} : { stream };
      const sender = await bridged(`${mode}-s`, {
        prefix,
        import: [],
        ...where,
        ...(mode === "core" ? {} : { durable: "s" }),
      });
      const receiver = await bridged(`${mode}-r`, {
        prefix,
        export: [],
        ...where,
        ...(mode === "core" ? {} : { durable: "r" }),
      });
      const got: Event[] = [];
      receiver.subscribe("*", (e) => void got.push(e));
      const types = ["a.one", "b.two", "a.one", "c.three", "c.three", "a.one"];
      for (const type of types) expect(await sender.emit(new Event(type, "s", text))).toMatchObject({ failed: 0 });
      await until(() => got.length === types.length, { ...NATS_POLL, message: "all six arrive" });
      expect(got.map((e) => e.eventType)).toEqual(types);
      expect(got.map((e) => e.data)).toEqual(types.map(() => text));
      await until(() => subjects.length === types.length, { ...NATS_POLL, message: "the watcher sees all six" });
      expect(subjects).toEqual(types.map((t) => `${prefix}.${t}`));
      await watcher.close();
    });
  }
});

describe.skipIf(!enabled)("regressions", () => {
  // 9d89bf2: a remote event that a handler re-emitted later was published again.
  it("does not publish again a remote event that a handler re-emits later (9d89bf2)", async () => {
    const { prefix, stream } = names();
    const origin = await bridged("origin", { prefix, stream, durable: "origin" });
    const relay = await bridged("relay", { prefix, stream, durable: "relay" });
    const atOrigin: string[] = [];
    const reemitted: Promise<unknown>[] = [];
    origin.subscribe("*", (e) => void atOrigin.push(e.eventId));
    relay.subscribe("task.*", (e) => {
      if (reemitted.length === 0) reemitted.push(new Promise((resolve) => setImmediate(() => resolve(relay.emit(e)))));
    });
    const event = new Event("task.relayed", "origin");
    await origin.emit(event);
    await until(() => reemitted.length === 1, { ...NATS_POLL, message: "the relay re-emits" });
    expect(await reemitted[0]).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
    await until(async () => (await settledConsumer(stream, "origin")) && (await settledConsumer(stream, "relay")), {
      ...NATS_POLL,
      message: "consumers drained",
    });
    expect(atOrigin).toEqual([event.eventId]);
    expect(relay.getStats().bridge).toMatchObject({ published: 0, received: 1 });
  });

  it("JetStream: two buses that share a nodeId still receive each other's events (each drops only its own)", async () => {
    const { prefix, stream } = names();
    const one = await bridged("twin", { prefix, stream, durable: "one" });
    const two = await bridged("twin", { prefix, stream, durable: "two" });
    const atOne: string[] = [];
    const atTwo: string[] = [];
    one.subscribe("*", (e) => void atOne.push(e.source));
    two.subscribe("*", (e) => void atTwo.push(e.source));
    await one.emit(new Event("x.y", "from-one"));
    await two.emit(new Event("x.y", "from-two"));
    await until(() => atOne.length >= 2 && atTwo.length >= 2, { ...NATS_POLL, message: "each gets the other's" });
    expect(atOne.sort()).toEqual(["from-one", "from-two"]);
    expect(atTwo.sort()).toEqual(["from-one", "from-two"]);
    expect(one.getStats().bridge).toMatchObject({ published: 1, received: 1 });
  });

  it("core NATS: imports whose subjects overlap (task.* and *.failed) deliver a message once, not once per subscription", async () => {
    const { prefix } = names();
    const sender = await bridged("sender", { prefix, import: [] });
    const receiver = await bridged("receiver", { prefix, export: [], import: ["task.*", "*.failed"], dedupeWindow: 0 });
    const seen: string[] = [];
    receiver.subscribe("*", (e) => void seen.push(e.eventType));
    for (const type of ["task.failed", "task.done", "job.failed", "marker.failed"])
      await sender.emit(new Event(type, "s"));
    // The marker comes on the `*.failed` subscription after the second copy of task.failed would.
    await until(() => seen.includes("marker.failed"), { ...NATS_POLL, message: "the marker arrives" });
    expect(seen.sort()).toEqual(["job.failed", "marker.failed", "task.done", "task.failed"]);
    expect(receiver.getStats().bridge).toMatchObject({ received: 4, duplicates: 0 });
  });

  it("does not publish again a remote event that a handler re-emits synchronously, on core NATS", async () => {
    const { prefix } = names();
    const origin = await bridged("origin", { prefix });
    const relay = await bridged("relay", { prefix });
    const atOrigin: string[] = [];
    origin.subscribe("*", (e) => void atOrigin.push(e.eventId));
    let relayed = 0;
    relay.subscribe("task.*", (e) => {
      if (relayed++ === 0) void relay.emit(e); // within the dispatch of the remote event
    });
    const event = new Event("task.relayed", "origin");
    await origin.emit(event);
    await until(() => relayed >= 1, { ...NATS_POLL, message: "the relay handles it" });
    // An echo would be on its way back by now: a marker sent after it arrives after it.
    await relay.emit(new Event("marker.sent", "relay"));
    await until(() => atOrigin.length >= 2, { ...NATS_POLL, message: "the marker reaches the origin" });
    expect(atOrigin[0]).toBe(event.eventId);
    expect(atOrigin.filter((id) => id === event.eventId)).toHaveLength(1);
    expect(relay.getStats().bridge).toMatchObject({ published: 1, received: 1 });
  });
});
