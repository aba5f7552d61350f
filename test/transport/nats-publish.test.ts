/**
 * The bridge's publishing against a real nats-server (JetStream) on NATS_URL: the retry budget of
 * one emit, failures that name their cause, the stream's replicas, and the handle bridge() returns.
 * The cluster failover case is in nats-cluster.test.ts.
 */
import { afterAll, describe, expect, it } from "vitest";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { Event, EventBus } from "../../src/index.js";
import { NatsTransport } from "../../src/transport/nats.js";
import { until } from "../support/async.js";
import { deleteStreams, NATS_URL, natsTestsEnabled, rawConnection, NATS_POLL, uniqueName } from "../support/nats.js";

const enabled = await natsTestsEnabled("transport/nats-publish.test.ts");
const streams: string[] = [];
const buses: EventBus[] = [];

function names(): { prefix: string; stream: string } {
  const prefix = uniqueName("np");
  const stream = prefix.toUpperCase();
  streams.push(stream);
  return { prefix, stream };
}

function bus(nodeId: string, warnings: string[] = []): EventBus {
  const b = new EventBus({
    nodeId,
    onError: () => undefined,
    logger: { error: () => undefined, warn: (_obj: object, msg: string) => void warnings.push(msg) },
  });
  buses.push(b);
  return b;
}

async function withManager<T>(work: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
  const nc = await rawConnection();
  try {
    return await work(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  if (enabled) await deleteStreams(NATS_URL, ...streams);
});

describe.skipIf(!enabled)("NATS bridge publishing", () => {
  it("bridge() returns a handle with nodeId, stats() and close() only: the connection and the publisher stay private", async () => {
    const { prefix, stream } = names();
    const b = bus("handle");
    const bridge = await b.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, import: [] }));
    expect(Object.keys(bridge).sort()).toEqual(["close", "nodeId", "stats"]);
    expect(bridge).not.toHaveProperty("nc");
    expect(bridge).not.toHaveProperty("publisher");
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(bridge.nodeId).toBe("handle");
    await b.emit(new Event("task.one", "handle"));
    expect(bridge.stats()).toMatchObject({ state: "connected", published: 1 });
    await bridge.close();
    expect(bridge.stats().state).toBe("closed");
    expect(b.getStats().bridge?.state).toBe("closed");
    // Closed: the bus may be bridged again.
    await b.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, import: [] }));
  });

  it("retries a publish that meets 503 no responders for publishRetryMs, then fails naming the cause", async () => {
    const { prefix, stream } = names();
    const b = bus("retrier");
    await b.bridge(
      new NatsTransport({ servers: NATS_URL, prefix, stream, import: [], publishRetryMs: 600, publishTimeoutMs: 200 }),
    );
    // No stream stores the subject any more: every try gets "503 no responders".
    await withManager((jsm) => jsm.streams.delete(stream));
    const started = Date.now();
    const result = await b.emit(new Event("task.lost", "retrier"));
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ matched: 1, delivered: 0, failed: 1 });
    const [error] = result.errors;
    expect(error?.code).toBe("EBUS_TRANSPORT");
    expect(error?.message).toMatch(new RegExp(`stream ${stream} has no leader or no responders \\(503`));
    expect(error?.message).toMatch(/retried for 0\.[6-9] s \(publishRetryMs 600\)/);
    expect(error?.message).not.toMatch(/jetstream is not enabled/);
    // The client's own no-responders error, not its misleading JetStreamNotEnabled wrapper.
    expect((error?.cause as Error | undefined)?.name).toBe("NoResponders");
    expect(b.getStats().bridge?.retries).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(600 + 200 + 1000);
  });

  it("fails at once, without retrying, when the stream refuses the message", async () => {
    const { prefix, stream } = names();
    await withManager((jsm) =>
      jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], max_msgs: 1, discard: "new" as never }),
    );
    const b = bus("refused");
    await b.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, import: [], publishRetryMs: 5000 }));
    expect((await b.emit(new Event("task.first", "refused"))).failed).toBe(0);
    const started = Date.now();
    const result = await b.emit(new Event("task.second", "refused"));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.errors[0]?.message).toMatch(
      new RegExp(`failed after 1 try: stream ${stream} refused it: .*\\(JetStream error \\d+\\)`),
    );
    expect((result.errors[0]?.cause as Error | undefined)?.name).toBe("JetStreamApiError");
  });

  it("creates the stream with `replicas`, and warns (leaving it as it is) when an existing stream has others", async () => {
    const { prefix, stream } = names();
    const first = bus("replicas-1");
    await first.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, import: [] }));
    expect(await withManager(async (jsm) => (await jsm.streams.info(stream)).config.num_replicas)).toBe(1);
    const warnings: string[] = [];
    const second = bus("replicas-3", warnings);
    await second.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, import: [], replicas: 3 }));
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`stream ${stream} exists with 1 replica\\(s\\), not the 3 asked for`)),
    ]);
    expect(await withManager(async (jsm) => (await jsm.streams.info(stream)).config.num_replicas)).toBe(1);
    expect((await second.emit(new Event("task.ok", "replicas-3"))).failed).toBe(0);
  });

  // The wire shapes the Python (nats-py) example in docs/nats.md relies on, sent and read here
  // with the raw client the way that example does.
  it("takes events a Python service publishes (str(datetime) and aware isoformat timestamps), and publishes what it reads", async () => {
    const { prefix, stream } = names();
    const b = bus("py-peer");
    await b.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, durable: "py-peer" }));
    const seen: { id: string; source: string; at: number; data: unknown }[] = [];
    b.subscribe(
      "task.*",
      (e) => void seen.push({ id: e.eventId, source: e.source, at: e.timestamp.getTime(), data: e.data }),
    );
    const nc = await rawConnection();
    try {
      const js = jetstream(nc);
      const fromPython = [
        { event_id: "py-1", timestamp: "2026-11-27 11:13:29.123456" }, // str(datetime.utcnow())
        { event_id: "py-2", timestamp: "2026-11-27T16:43:29.123456+05:30" }, // aware .isoformat()
      ];
      for (const { event_id, timestamp } of fromPython) {
        const dict = {
          event_id,
          event_type: "task.completed",
          source: "py-worker",
          timestamp,
          data: { task_id: "t1" },
        };
        const hdrs = natsHeaders();
        hdrs.set("Nats-Msg-Id", event_id); // what headers={"Nats-Msg-Id": ...} sends
        await js.publish(`${prefix}.task.completed`, JSON.stringify(dict), { headers: hdrs });
      }
      await until(() => seen.length === 2, { ...NATS_POLL, message: "the two Python events at the bus" });
      const utc = Date.UTC(2026, 10, 27, 11, 13, 29, 123);
      expect(seen).toEqual([
        { id: "py-1", source: "py-worker", at: utc, data: { task_id: "t1" } },
        { id: "py-2", source: "py-worker", at: utc, data: { task_id: "t1" } },
      ]);

      // What a Python consumer (pull_subscribe on the stream, durable of its own) is handed.
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.add(stream, {
        durable_name: "py-reader",
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${prefix}.>`,
        deliver_policy: "new" as never,
      });
      const sent = new Event("task.completed", "py-peer", { task_id: "t2" });
      expect((await b.emit(sent)).failed).toBe(0);
      const consumer = await js.consumers.get(stream, "py-reader");
      const msg = await consumer.next({ expires: 5000 });
      expect(msg?.subject).toBe(`${prefix}.task.completed`);
      expect(msg?.headers?.get("Nats-Msg-Id")).toBe(sent.eventId);
      const dict = JSON.parse(new TextDecoder().decode(msg!.data)) as Record<string, unknown>;
      expect(Object.keys(dict).sort()).toEqual(["data", "event_id", "event_type", "source", "timestamp"]);
      expect(dict).toMatchObject({
        event_id: sent.eventId,
        event_type: "task.completed",
        source: "py-peer",
        data: { task_id: "t2" },
      });
      // datetime.fromisoformat() before Python 3.11 refuses "Z": the docs show the replace that fixes it.
      expect(dict["timestamp"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      msg?.ack();
    } finally {
      await nc.close();
    }
  });
});
