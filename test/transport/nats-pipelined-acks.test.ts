/**
 * PipelinedAcks, the bridge's JetStream publishing, against a real nats-server on NATS_URL: acks
 * matched to their publishes when a thousand are in flight, duplicates reported, and each way a
 * try fails raising the client's own error class (what the publisher's retry rules read): a
 * timeout, 503 no responders, an error the stream answered, an unreadable reply, a closed
 * connection. The failures are staged with plain subscribers standing in for a stream.
 */
import { afterAll, describe, expect, it } from "vitest";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { PipelinedAcks } from "../../src/transport/pipelined-acks.js";
import { deleteStreams, NATS_URL, natsTestsEnabled, rawConnection, uniqueName } from "../support/nats.js";
import { jetstreamManager } from "@nats-io/jetstream";

const enabled = await natsTestsEnabled("nats-pipelined-acks.test.ts");
const connections: NatsConnection[] = [];
const streams: string[] = [];

async function connection(): Promise<NatsConnection> {
  const nc = await rawConnection();
  connections.push(nc);
  return nc;
}

const payload = new TextEncoder().encode("{}");
const settle = <T>(p: Promise<T>): Promise<{ value?: T; error?: Error }> =>
  p.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
  if (enabled) await deleteStreams(NATS_URL, ...streams);
});

describe.skipIf(!enabled)("PipelinedAcks", () => {
  it("matches a thousand acks in flight to their publishes, and reports a resent id as a duplicate", async () => {
    const nc = await connection();
    const prefix = uniqueName("pa");
    const stream = prefix.toUpperCase();
    streams.push(stream);
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${prefix}.>`] });
    const acks = new PipelinedAcks(nc, 5_000);
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        acks.publish(`${prefix}.e`, payload, { msgID: `id-${i}`, headers: natsHeaders() }),
      ),
    );
    expect(results.every((r) => r.duplicate === false)).toBe(true);
    const again = await acks.publish(`${prefix}.e`, payload, { msgID: "id-7", headers: natsHeaders() });
    expect(again.duplicate).toBe(true);
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    expect(info.state.messages).toBe(1000);
  });

  it("times a try out with the client's TimeoutError when its ack never comes, and ignores the late ack", async () => {
    const nc = await connection();
    const subject = uniqueName("silent");
    const held: string[] = [];
    // A responder that takes the message and answers only when told: no 503, no ack in time.
    nc.subscribe(subject, { callback: (_err, msg) => void held.push(msg.reply ?? "") });
    await nc.flush();
    const acks = new PipelinedAcks(nc, 150);
    const started = performance.now();
    const outcome = await settle(acks.publish(subject, payload, { msgID: "t1", headers: natsHeaders() }));
    expect(outcome.error?.name).toBe("TimeoutError");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    // The late ack finds nothing waiting; the next try still gets its own.
    nc.publish(held[0]!, JSON.stringify({ stream: "S", seq: 1 }));
    const next = acks.publish(subject, payload, { msgID: "t2", headers: natsHeaders() });
    await new Promise((r) => setTimeout(r, 20));
    nc.publish(held[1]!, JSON.stringify({ stream: "S", seq: 2, duplicate: true }));
    expect(await next).toEqual({ duplicate: true });
  });

  it("rejects with NoRespondersError when nothing listens on the subject (503)", async () => {
    const acks = new PipelinedAcks(await connection(), 2_000);
    const outcome = await settle(acks.publish(uniqueName("nobody"), payload, { msgID: "n1", headers: natsHeaders() }));
    expect(outcome.error?.name).toBe("NoResponders");
  });

  it("rejects with JetStreamApiError carrying the stream's error code, and with an error for a reply that is no ack", async () => {
    const nc = await connection();
    const subject = uniqueName("refuses");
    nc.subscribe(`${subject}.*`, {
      callback: (_err, msg) => {
        if (msg.subject.endsWith(".api"))
          msg.respond(
            JSON.stringify({ error: { code: 400, err_code: 10077, description: "maximum messages exceeded" } }),
          );
        else if (msg.subject.endsWith(".garbage")) msg.respond("not json");
        else msg.respond(JSON.stringify({ seq: 3 }));
      },
    });
    await nc.flush();
    const acks = new PipelinedAcks(nc, 2_000);
    const send = (tail: string) =>
      settle(acks.publish(`${subject}.${tail}`, payload, { msgID: tail, headers: natsHeaders() }));
    const api = await send("api");
    expect(api.error?.name).toBe("JetStreamApiError");
    expect((api.error as Error & { code?: number }).code).toBe(10077);
    expect((await send("garbage")).error).toBeInstanceOf(SyntaxError);
    expect((await send("nostream")).error?.message).toMatch(/invalid ack response/);
  });

  it("fails every try in flight when the connection closes, and a publish after it at once", async () => {
    const nc = await rawConnection();
    const subject = uniqueName("closing");
    nc.subscribe(subject, { callback: () => undefined }); // takes, never acks
    await nc.flush();
    const acks = new PipelinedAcks(nc, 10_000);
    const pending = settle(acks.publish(subject, payload, { msgID: "c1", headers: natsHeaders() }));
    await new Promise((r) => setTimeout(r, 20));
    await nc.close();
    expect((await pending).error?.name).toBe("ClosedConnectionError");
    expect((await settle(acks.publish(subject, payload, { msgID: "c2", headers: natsHeaders() }))).error?.name).toBe(
      "ClosedConnectionError",
    );
  });
});
