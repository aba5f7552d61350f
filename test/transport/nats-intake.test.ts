/**
 * The bridge's JetStream intake against a real nats-server on NATS_URL (src/transport/
 * jetstream-intake.ts, nats-link.ts): a consumer the server lost is made again where it stopped,
 * a consumer's own pull limits are kept, a message whose headers the client cannot parse is taken
 * like any other, a restarted node does not handle its own earlier events again, and a handler
 * that close({ timeoutMs }) gave up on leaves its event for redelivery.
 */
import { afterAll, describe, expect, it } from "vitest";
import net from "node:net";
import { AckPolicy } from "@nats-io/jetstream";
import { Event, EventBus, type BusError } from "../../src/index.js";
import { NatsTransport } from "../../src/transport/nats.js";
import { until } from "../support/async.js";
import { NATS_POLL, NATS_URL, natsBuses, natsTestsEnabled, withJetStream } from "../support/nats.js";

const enabled = await natsTestsEnabled("transport/nats-intake.test.ts");
const { names, bridged, cleanup } = natsBuses("ni");

/** A stream of `${prefix}.>` and a durable on it, made as an operator (or another program) would. */
function streamWithDurable(prefix: string, stream: string, durable: string, limits: { max_batch?: number } = {}) {
  return withJetStream(async (jsm) => {
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: `${prefix}.>`,
      ...limits,
    });
  });
}

/** Publishes with the raw protocol, so that the header block is not checked by a client. */
function rawHpub(subject: string, headerBlock: string, body: string): Promise<void> {
  const [host, port] = NATS_URL.split(":");
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port ?? 4222), host ?? "127.0.0.1");
    let seen = "";
    let sent = false;
    socket.on("data", (chunk) => {
      seen += chunk.toString();
      if (!sent && seen.includes("INFO")) {
        sent = true;
        const h = Buffer.from(headerBlock);
        const b = Buffer.from(body);
        socket.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n');
        socket.write(
          Buffer.concat([
            Buffer.from(`HPUB ${subject} ${h.length} ${h.length + b.length}\r\n`),
            h,
            b,
            Buffer.from("\r\nPING\r\n"),
          ]),
        );
      }
      if (seen.includes("PONG")) {
        socket.end();
        resolve();
      } else if (seen.includes("-ERR")) {
        socket.end();
        reject(new Error(seen));
      }
    });
    socket.on("error", reject);
  });
}

afterAll(() => cleanup(enabled));

describe.skipIf(!enabled)("NATS bridge: the JetStream intake", () => {
  it("makes a consumer the server lost again where it stopped: nothing stored meanwhile is missed, the loss is reported", async () => {
    const { prefix, stream } = names();
    const errors: BusError[] = [];
    const b = await bridged("b", { prefix, stream, export: [] }, errors); // ephemeral consumer
    const a = await bridged("a", { prefix, stream, import: [] });
    const got: number[] = [];
    b.subscribe("*", (e) => void got.push((e.data as { n: number }).n));
    await a.emit(new Event("x.y", "a", { n: 1 }));
    await until(() => got.length === 1, { ...NATS_POLL, message: "the first event" });

    // As the server does with an ephemeral consumer cut off past its inactivity threshold.
    await withJetStream(async (jsm) => {
      const [consumer] = await jsm.consumers.list(stream).next();
      await jsm.consumers.delete(stream, consumer!.name);
    });
    for (let n = 2; n <= 4; n++) expect((await a.emit(new Event("x.y", "a", { n }))).failed).toBe(0);

    await until(() => got.length === 4, { ...NATS_POLL, message: "the events stored while the consumer was gone" });
    expect(got).toEqual([1, 2, 3, 4]);
    expect(errors.map((e) => [e.code, e.message])).toContainEqual([
      "EBUS_TRANSPORT",
      expect.stringMatching(/no longer exists on the server: taking it up again \(made again from stream sequence 2/),
    ]);
  });

  it("keeps within a durable's own max_batch (made elsewhere): its pulls are not refused", async () => {
    const { prefix, stream } = names();
    await streamWithDurable(prefix, stream, "svc", { max_batch: 10 });
    const errors: BusError[] = [];
    const b = await bridged("b", { prefix, stream, durable: "svc", export: [] }, errors);
    const a = await bridged("a", { prefix, stream, import: [] });
    let got = 0;
    b.subscribe("*", () => void got++);
    await a.emitMany(Array.from({ length: 30 }, (_, n) => new Event("x.y", "a", { n })));
    await until(() => got === 30, { ...NATS_POLL, message: "all 30 events through pulls of at most 10" });
    expect(errors).toEqual([]);
  });

  it("takes a message whose header block the client cannot parse like any other, and goes on", async () => {
    const { prefix, stream } = names();
    const errors: BusError[] = [];
    // Exports too (the default), so it reads every message's headers to tell its own apart.
    const b = await bridged("b", { prefix, stream, durable: "b" }, errors);
    const a = await bridged("a", { prefix, stream, import: [] });
    const got: unknown[] = [];
    b.subscribe("x.*", (e) => void got.push((e.data as { n: unknown }).n));
    await a.emit(new Event("x.y", "a", { n: 1 }));
    // Another client (nats-py, Go) writes a header name with a space unchecked.
    const foreign = new Event("x.y", "py-worker", { n: "py" });
    await rawHpub(`${prefix}.x.y`, "NATS/1.0\r\nTrace Id: abc\r\n\r\n", JSON.stringify(foreign));
    for (let n = 2; n <= 3; n++) await a.emit(new Event("x.y", "a", { n }));
    await until(() => got.length === 4, { ...NATS_POLL, message: "the foreign message and the events after it" });
    expect(got).toEqual([1, "py", 2, 3]);
    expect(errors).toEqual([]);
  });

  it("a node restarted with its nodeId and durable does not handle its own earlier events again; others' still arrive", async () => {
    const { prefix, stream } = names();
    // The node's durable, from an earlier run; this run only publishes, so what it emits stays
    // unconsumed in the stream, as a run's last events do when it stops before taking them back.
    await streamWithDurable(prefix, stream, "orders");
    const first = await bridged("orders-1", { prefix, stream, import: [] });
    let handledFirst = 0;
    first.subscribe("task.*", () => void handledFirst++);
    await first.emitMany(Array.from({ length: 50 }, (_, n) => new Event("task.done", "orders-1", { n })));
    expect(handledFirst).toBe(50); // locally, at emit
    await first.close();
    const other = await bridged("billing", { prefix, stream, import: [] });
    await other.emit(new Event("task.billed", "billing", { n: -1 }));

    const restarted = await bridged("orders-1", { prefix, stream, durable: "orders" });
    const again: string[] = [];
    restarted.subscribe("task.*", (e) => void again.push(e.source));
    await until(() => again.includes("billing"), { ...NATS_POLL, message: "the other node's event" });
    // The stream hands the durable its messages in order: its own 50 came before the other node's.
    expect(again).toEqual(["billing"]);
    expect(restarted.getStats().bridge?.received).toBe(1);
  });

  it("leaves an event whose handler close({ timeoutMs }) gave up on for redelivery (nak), not acked", async () => {
    const { prefix, stream } = names();
    const errors: BusError[] = [];
    const stuck = new EventBus({ nodeId: "b", onError: (e) => errors.push(e) });
    stuck.subscribe("*", () => new Promise(() => undefined)); // never settles
    await stuck.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, durable: "b", export: [] }));
    const a = await bridged("a", { prefix, stream, import: [] });
    const sent = new Event("x.y", "a", { n: 1 });
    await a.emit(sent);
    await until(() => stuck.getStats().inFlight > 0, { ...NATS_POLL, message: "the handler running" });
    await stuck.close({ timeoutMs: 200 });
    expect(errors.map((e) => e.code)).toContain("EBUS_CLOSED");

    const next = await bridged("b", { prefix, stream, durable: "b", export: [] });
    const redelivered: string[] = [];
    next.subscribe("*", (e) => void redelivered.push(e.eventId));
    await until(() => redelivered.length === 1, { ...NATS_POLL, message: "the event handed out again" });
    expect(redelivered).toEqual([sent.eventId]);
  });
});
