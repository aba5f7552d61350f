/**
 * The Publisher's retry schedule, against a scripted JetStream client (no server): each event
 * retries on its own schedule within its own budget, a timer never resends other events, and
 * tries in flight when the connection drops are sent again after the reconnect.
 */
import { describe, expect, it } from "vitest";
import type { JetStreamClient } from "@nats-io/jetstream";
import { errors as natsErrors, type NatsConnection } from "@nats-io/transport-node";
import { Publisher, type PublisherCounters } from "../../src/transport/publisher.js";
import { originHeaders } from "../../src/transport/wire-headers.js";
import { until } from "../support/async.js";
import { NATS_POLL } from "../support/nats.js";

type Answer = "ack" | "503" | "hang" | "throw";

/** A JetStream client whose publishes answer as `answer(msgID)` says; "hang" leaves the promise pending. */
function scriptedJs(answer: (msgID: string) => Answer): { js: JetStreamClient; tries: Map<string, number> } {
  const tries = new Map<string, number>();
  const js = {
    publish: (_subject: string, _payload: Uint8Array, opts: { msgID: string }) => {
      tries.set(opts.msgID, (tries.get(opts.msgID) ?? 0) + 1);
      const what = answer(opts.msgID);
      if (what === "throw") throw new Error("'header' values cannot contain \\r or \\n");
      if (what === "ack") return Promise.resolve({ stream: "S", seq: 1, duplicate: false });
      if (what === "503") {
        const cause = new natsErrors.RequestError("no responders", { cause: new natsErrors.NoRespondersError("s") });
        const err = new Error("jetstream is not enabled", { cause });
        err.name = "JetStreamNotEnabled";
        return Promise.reject(err);
      }
      return new Promise(() => undefined);
    },
  } as unknown as JetStreamClient;
  return { js, tries };
}

function publisher(
  js: JetStreamClient,
  connected: { value: boolean },
  publishRetryMs: number,
): { p: Publisher; counters: PublisherCounters } {
  const counters: PublisherCounters = { published: 0, duplicates: 0, retries: 0 };
  const config = { stream: "S", nodeId: "n", linkId: "l", maxBuffered: 1000, publishTimeoutMs: 1000, publishRetryMs };
  const p = new Publisher({
    nc: {} as NatsConnection,
    js,
    originHeaders: originHeaders("n"),
    config,
    counters,
    isConnected: () => connected.value,
  });
  return { p, counters };
}

const settle = (outcome: "sent" | Promise<void>): Promise<{ ok: boolean; at: number; error?: Error }> =>
  Promise.resolve(outcome).then(
    () => ({ ok: true, at: Date.now() }),
    (error: Error) => ({ ok: false, at: Date.now(), error }),
  );

describe("Publisher retries (scripted JetStream client)", () => {
  it("gives each event its own backoff: 50 queued events during a 503 window are not resent on each other's timers", async () => {
    const leaderBackAt = Date.now() + 600;
    const { js, tries } = scriptedJs(() => (Date.now() < leaderBackAt ? "503" : "ack"));
    const { p, counters } = publisher(js, { value: true }, 5000);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, n) => settle(p.publish("s.x", new Uint8Array(1), `e${n}`))),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // 600 ms at 50, 100, 200, 400 ms (±25%) apart: a handful of tries each, not dozens.
    const counts = [...tries.values()];
    expect(Math.max(...counts)).toBeLessThanOrEqual(6);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
    expect(counters.retries).toBe(counts.reduce((a, b) => a + b, 0) - 50);
  });

  it("keeps a copy of a payload that is a slice of a larger buffer (a pooled Buffer.from), not the whole buffer", async () => {
    const sent: Uint8Array[] = [];
    const js = {
      publish: (_subject: string, payload: Uint8Array) => {
        sent.push(payload);
        return Promise.resolve({ stream: "S", seq: 1, duplicate: false });
      },
    } as unknown as JetStreamClient;
    const { p } = publisher(js, { value: true }, 5000);
    const pooled = Buffer.from('{"event_type":"a.b"}');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length); // Node's 8 KB pool
    const own = new Uint8Array([1, 2, 3]);
    expect((await settle(p.publish("s.x", pooled, "e1"))).ok).toBe(true);
    expect((await settle(p.publish("s.x", own, "e2"))).ok).toBe(true);
    expect(Buffer.from(sent[0]!).toString()).toBe('{"event_type":"a.b"}');
    expect(sent[0]!.buffer.byteLength).toBe(pooled.length);
    expect(sent[1]).toBe(own); // a payload that owns its buffer is not copied
  });

  it("fails at once an event the client refuses before sending (a CR/LF message id), holding no slot and not close()", async () => {
    const { js, tries } = scriptedJs((id) => (id.includes("\r") ? "throw" : "ack"));
    const { p } = publisher(js, { value: true }, 5000);
    const bad = await settle(p.publish("s.x", new Uint8Array(1), "bad\r\nX: 1"));
    expect(bad.ok).toBe(false);
    expect(bad.error?.message).toMatch(/refused: .*cannot contain/);
    expect(tries.get("bad\r\nX: 1")).toBe(1);
    expect((await settle(p.publish("s.x", new Uint8Array(1), "good"))).ok).toBe(true);
    // Nothing in flight: close() returns (it waited for the refused one forever).
    await p.close("the test is over");
  });

  it("fails an event only once its own budget is spent, naming the 503, with the client's error as cause", async () => {
    const { js } = scriptedJs(() => "503");
    const { p } = publisher(js, { value: true }, 300);
    const started = Date.now();
    const outcome = await settle(p.publish("s.x", new Uint8Array(1), "e1"));
    expect(outcome.ok).toBe(false);
    expect(outcome.at - started).toBeGreaterThanOrEqual(295);
    expect(outcome.error?.message).toMatch(
      /stream S has no leader or no responders \(503.*retried for 0\.\d s \(publishRetryMs 300\)/,
    );
    expect((outcome.error?.cause as Error).name).toBe("JetStreamNotEnabled");
  });

  it("counts a try in flight on a dropped connection as failed at once, and sends it again after the reconnect", async () => {
    let hang = true;
    const { js, tries } = scriptedJs(() => (hang ? "hang" : "ack"));
    const connected = { value: true };
    const { p } = publisher(js, connected, 5000);
    const pending = settle(p.publish("s.x", new Uint8Array(1), "e1"));
    expect(tries.get("e1")).toBe(1);
    connected.value = false;
    p.disconnected();
    expect(p.pending).toBe(1); // back in the outbox, not waiting for the client's timeout
    hang = false;
    connected.value = true;
    p.pump();
    expect((await pending).ok).toBe(true);
    expect(tries.get("e1")).toBe(2);
  });

  it("while disconnected, an event waits for the reconnect within its budget, then fails saying the connection is lost", async () => {
    const { js } = scriptedJs(() => "ack");
    const connected = { value: false };
    const { p } = publisher(js, connected, 200);
    const kept = settle(p.publish("s.x", new Uint8Array(1), "kept"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    connected.value = true;
    p.pump();
    expect((await kept).ok).toBe(true);
    connected.value = false;
    const lost = await settle(p.publish("s.x", new Uint8Array(1), "lost"));
    expect(lost.ok).toBe(false);
    expect(lost.error?.message).toMatch(/failed after 0 tries: the NATS connection was lost and is not back/);
  });

  it("close() fails what is queued and lets nothing new in", async () => {
    const { js } = scriptedJs(() => "503");
    const { p } = publisher(js, { value: true }, 5000);
    const queued = settle(p.publish("s.x", new Uint8Array(1), "q"));
    await until(() => p.pending === 1, { ...NATS_POLL, message: "the first try failed and is queued" });
    await p.close("the bridge closed");
    expect((await queued).error?.message).toMatch(/the bridge closed before event q was sent/);
    expect((await settle(p.publish("s.x", new Uint8Array(1), "late"))).error?.message).toMatch(/closing/);
  });
});
