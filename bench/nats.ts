/**
 * NATS bridge benchmark (standalone): `npm run build && node dist/bench/nats.js [events]`.
 *
 * Bus to bus through the bridge, next to the raw client carrying the same events in the same
 * run, over core NATS and over JetStream:
 *   - throughput: N pre-built events sent as fast as the sender may (JetStream: at most WINDOW
 *     awaiting their ack), timed from the first send to the last arrival at the other side;
 *   - latency: one event at a time, from the send to the handler on the other side (p50, p99).
 * The bridge pairs are one way like the raw ones; "2-way" adds the sender's own consumer.
 * "raw" publishes `JSON.stringify(event)` and parses it on arrival (what any program moving these
 * events must do at least); "raw bytes" sends a pre-encoded payload (the client's own floor).
 * Needs nats-server with JetStream on NATS_URL (default 127.0.0.1:4222).
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Event, EventBus } from "../src/index.js";
import { NatsTransport } from "../src/transport/nats.js";

const URL = process.env["NATS_URL"] ?? "127.0.0.1:4222";
const N = Number(process.argv[2] ?? 20_000);
const LATENCY_SAMPLES = 1000;
const WINDOW = 1000;
const MAX_ACK_PENDING = 1024;

interface Sender {
  send(event: Event): void | Promise<unknown>;
}
interface Pair {
  sender: Sender;
  /** JetStream: sends are windowed on their acks. Core: nothing comes back to wait for. */
  windowed: boolean;
  /** Resolves when `count` events have arrived at the other side since the last call. */
  arrived(count: number): Promise<void>;
  close(): Promise<void>;
}

function counter(): { hit(): void; arrived(count: number): Promise<void> } {
  let seen = 0;
  let target = Infinity;
  let done: (() => void) | null = null;
  return {
    hit() {
      if (++seen >= target && done !== null) {
        const d = done;
        done = null;
        d();
      }
    },
    arrived(count) {
      target = seen + count;
      return new Promise<void>((resolve) => {
        if (seen >= target) resolve();
        else done = resolve;
      });
    },
  };
}

const payload = { task_id: "t-000123", workflow: "compress-and-upload", attempt: 1, shard: 7, note: "benchmark event" };
const makeEvents = (count: number): Event[] =>
  Array.from({ length: count }, () => new Event("task.completed", "bench-sender", payload));

async function rawPair(stream: string | null, prefix: string, json: boolean): Promise<Pair> {
  // The bridge's own connection options, so that the comparison is of the bridge, not of them.
  const pub = await connect({ servers: URL, noAsyncTraces: true });
  const sub = await connect({ servers: URL, noAsyncTraces: true });
  const c = counter();
  const subject = `${prefix}.task.completed`;
  const fixed = new TextEncoder().encode(JSON.stringify(makeEvents(1)[0]));
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const encode = (e: Event): Uint8Array => (json ? encoder.encode(JSON.stringify(e)) : fixed);
  const onData = (data: Uint8Array): void => {
    if (json) Event.fromDict(JSON.parse(decoder.decode(data)));
    c.hit();
  };
  let stop: () => Promise<unknown>;
  let sender: Sender;
  if (stream === null) {
    const s = sub.subscribe(`${prefix}.>`, { callback: (_e, m) => onData(m.data) });
    await sub.flush();
    stop = async () => s.unsubscribe();
    sender = { send: (e) => pub.publish(subject, encode(e)) };
  } else {
    const jsm = await jetstreamManager(sub);
    const name = `raw${json ? "j" : "b"}`;
    await jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: `${prefix}.>`,
      max_ack_pending: MAX_ACK_PENDING,
    });
    const messages = await (
      await jetstream(sub).consumers.get(stream, name)
    ).consume({
      max_messages: 256,
      callback: (m) => {
        onData(m.data);
        m.ack();
      },
    });
    stop = () => messages.close();
    const js = jetstream(pub);
    sender = { send: (e) => js.publish(subject, encode(e), { msgID: e.eventId }) };
  }
  return {
    sender,
    windowed: stream !== null,
    arrived: c.arrived,
    close: async () => (await stop(), await pub.drain(), await sub.drain()),
  };
}

/**
 * One way (as the raw pair): the sender imports nothing and the receiver exports nothing. Both
 * ways: each bus imports and exports everything, so with JetStream the sender's own consumer is
 * handed every event it publishes too (and acks and drops it): the cost of a node that does both.
 */
async function bridgePair(stream: string | null, prefix: string, oneWay = true): Promise<Pair> {
  const a = new EventBus({ nodeId: "bench-a", maxHistory: 0 });
  const b = new EventBus({ nodeId: "bench-b", maxHistory: 0 });
  const c = counter();
  b.subscribe("task.*", () => c.hit());
  const common = { servers: URL, prefix, maxAckPending: MAX_ACK_PENDING, maxBuffered: 100_000 };
  const transport = (d: string, way: { import?: string[]; export?: string[] }) =>
    new NatsTransport(stream === null ? { ...common, ...way } : { ...common, ...way, stream, durable: d });
  await b.bridge(transport("bench-b", oneWay ? { export: [] } : {}));
  await a.bridge(transport("bench-a", oneWay ? { import: [] } : {}));
  return {
    sender: { send: (e) => a.emit(e) },
    windowed: stream !== null,
    arrived: c.arrived,
    close: async () => (await a.close(), await b.close()),
  };
}

/** Events per second, and this process's CPU microseconds per event (sender and receiver both). */
async function throughput(pair: Pair, events: Event[]): Promise<{ rate: number; cpuUs: number }> {
  const all = pair.arrived(events.length);
  const cpu = process.cpuUsage();
  const start = performance.now();
  // A counting window, not Promise.race over the window: that costs O(WINDOW) per event.
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const settled = (): void => {
    inFlight--;
    if (wake !== null) {
      const w = wake;
      wake = null;
      w();
    }
  };
  for (const event of events) {
    const sent = pair.sender.send(event);
    if (pair.windowed && sent instanceof Promise) {
      inFlight++;
      sent.then(settled, settled);
      if (inFlight >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  await all;
  const rate = events.length / ((performance.now() - start) / 1000);
  const used = process.cpuUsage(cpu);
  return { rate, cpuUs: (used.user + used.system) / events.length };
}

async function latency(pair: Pair, events: Event[]): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (const event of events) {
    const one = pair.arrived(1);
    const start = performance.now();
    void pair.sender.send(event);
    await one;
    samples.push(performance.now() - start);
  }
  samples.sort((x, y) => x - y);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

const ROUNDS = Number(process.env["ROUNDS"] ?? 5);

interface Row {
  name: string;
  rates: number[];
  cpuUs: number[];
  p50: number;
  p99: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const tag = `bench${Date.now().toString(36)}`;
  const admin: NatsConnection = await connect({ servers: URL });
  const version = admin.info?.version ?? "?";
  const jsm = await jetstreamManager(admin);
  const streams: string[] = [];
  const jsStream = async (label: string): Promise<[string, string]> => {
    const prefix = `${tag}${label}`;
    const stream = prefix.toUpperCase();
    streams.push(stream);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    return [stream, prefix];
  };
  const setups: [string, number, () => Promise<Pair>][] = [
    ["core      raw bytes", N * 2, () => rawPair(null, `${tag}rb`, false)],
    ["core      raw + JSON", N * 2, () => rawPair(null, `${tag}rj`, true)],
    ["core      bridge", N * 2, () => bridgePair(null, `${tag}br`)],
    ["jetstream raw bytes", N, async () => rawPair(...(await jsStream("jrb")), false)],
    ["jetstream raw + JSON", N, async () => rawPair(...(await jsStream("jrj")), true)],
    ["jetstream bridge", N, async () => bridgePair(...(await jsStream("jb")))],
    ["jetstream bridge 2-way", N, async () => bridgePair(...(await jsStream("jb2")), false)],
  ];
  // MODES=core (or jetstream, bridge...) keeps only the rows whose name contains it, and the
  // "raw + JSON" row their ratios are taken against (of core or JetStream, as they need).
  const only = process.env["MODES"];
  if (only !== undefined) {
    const kindOf = (name: string): string => name.split(" ")[0]!;
    const kinds = new Set(setups.filter(([name]) => name.includes(only)).map(([name]) => kindOf(name)));
    const kept = setups.filter(
      ([name]) => name.includes(only) || (name.endsWith("raw + JSON") && kinds.has(kindOf(name))),
    );
    setups.splice(0, setups.length, ...kept);
  }
  const pairs: Pair[] = [];
  const rows: Row[] = [];
  for (const [name, count, make] of setups) {
    const pair = await make();
    pairs.push(pair);
    await throughput(pair, makeEvents(Math.min(2000, count))); // warm-up
    rows.push({ name, rates: [], cpuUs: [], p50: 0, p99: 0 });
  }
  // Rounds interleave the modes, so that load from elsewhere on the machine hits them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < setups.length; i++) {
      const { rate, cpuUs } = await throughput(pairs[i]!, makeEvents(setups[i]![1]));
      rows[i]!.rates.push(rate);
      rows[i]!.cpuUs.push(cpuUs);
    }
  }
  for (let i = 0; i < setups.length; i++)
    Object.assign(rows[i]!, await latency(pairs[i]!, makeEvents(LATENCY_SAMPLES)));
  for (const pair of pairs) await pair.close();
  for (const stream of streams) await jsm.streams.delete(stream);
  await admin.close();

  console.log(
    `NATS bridge benchmark: node ${process.version}, nats-server ${version} at ${URL}; ${N} events a round (core ${N * 2}), ${ROUNDS} rounds interleaved, median shown; JetStream window ${WINDOW}, max_ack_pending ${MAX_ACK_PENDING}`,
  );
  // CPU per event is this process's (client) time, less swayed by load from elsewhere than ev/s.
  // "vs raw + JSON" is the ratio of the medians; "per round" pairs each round with the raw run
  // of the same round (interleaved, so both met the same load): its median and range.
  console.log(
    "mode                     median ev/s  (min..max)             p50 ms   p99 ms   vs raw + JSON   per round (min..max)   client CPU us/event",
  );
  for (const row of rows) {
    const kind = row.name.split(" ")[0]!;
    const base = rows.find((r) => r.name.startsWith(kind) && r.name.endsWith("raw + JSON"))!;
    const range = `(${Math.round(Math.min(...row.rates))}..${Math.round(Math.max(...row.rates))})`;
    const perRound = row.rates.map((rate, i) => (rate / base.rates[i]!) * 100);
    const paired = `${median(perRound).toFixed(0)}% (${Math.min(...perRound).toFixed(0)}..${Math.max(...perRound).toFixed(0)})`;
    console.log(
      `${row.name.padEnd(24)} ${Math.round(median(row.rates)).toString().padStart(11)}  ${range.padEnd(20)} ${row.p50.toFixed(3).padStart(8)} ${row.p99.toFixed(3).padStart(8)}   ${((median(row.rates) / median(base.rates)) * 100).toFixed(0).padStart(5)}%   ${paired.padEnd(22)} ${median(row.cpuUs).toFixed(1).padStart(10)}`,
    );
  }
}

await main();
