/**
 * Two buses in two processes: this one (src/) and a child running test/support/scripts/bus-node.mjs
 * against the BUILT package (dist/, through the package's own "exports"). `npm test` builds first.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Event, EventBus } from "../../src/index.js";
import { NatsTransport } from "../../src/transport/nats.js";
import { until } from "../support/async.js";
import { ChildBus, deleteStreams, NATS_URL, natsTestsEnabled, NATS_POLL, uniqueName } from "../support/nats.js";

const enabled = await natsTestsEnabled("transport/nats-processes.test.ts");
const streams: string[] = [];
const children: ChildBus[] = [];
const buses: EventBus[] = [];

function spawnBus(nodeId: string, transport: Record<string, unknown>): ChildBus {
  const child = new ChildBus({ nodeId, transport: { servers: NATS_URL, ...transport } });
  children.push(child);
  return child;
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  if (enabled) await deleteStreams(NATS_URL, ...streams);
});

describe.skipIf(!enabled)("NATS bridge across processes", () => {
  it("two processes exchange events exactly once, without echo", async () => {
    const prefix = uniqueName("np");
    const stream = prefix.toUpperCase();
    streams.push(stream);
    const child = spawnBus("child-1", { prefix, stream, durable: "child" });
    await child.ready();
    const parent = new EventBus({ nodeId: "parent-1" });
    buses.push(parent);
    await parent.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, durable: "parent" }));
    const seen: string[] = [];
    parent.subscribe("*", (e) => void seen.push(e.eventId));

    const fromChild = await child.emit("task.started", 25, "c");
    expect(fromChild.failed).toEqual([]);
    const fromParent = Array.from({ length: 25 }, (_, n) => new Event("task.completed", "parent-1", { n }));
    await parent.emitMany(fromParent);
    const parentIds = fromParent.map((e) => e.eventId);

    await until(() => seen.length >= 50 && child.events().length >= 50, {
      ...NATS_POLL,
      message: "50 events on each side",
    });
    // A marker round trip after everything: anything echoed or duplicated would have arrived before it.
    await parent.emit(new Event("marker.ping", "parent-1"));
    await until(() => child.events().some((e) => e.type === "marker.ping"), {
      ...NATS_POLL,
      message: "marker at the child",
    });
    const marker = await child.emit("marker.pong", 1, "m");
    await until(() => seen.includes(marker.ids[0]!), { ...NATS_POLL, message: "marker back at the parent" });

    const childSeen = child.events().map((e) => e.id as string);
    expect(childSeen.filter((id) => parentIds.includes(id))).toEqual(parentIds);
    expect(childSeen.filter((id) => fromChild.ids.includes(id))).toEqual(fromChild.ids);
    expect(childSeen.length).toBe(52);
    expect(seen.filter((id) => fromChild.ids.includes(id))).toEqual(fromChild.ids);
    expect(seen.length).toBe(52);
    const closed = await child.close();
    expect(closed["stats"]).toMatchObject({ state: "closed", published: 26, received: 26, invalid: 0 });
  });

  it("a process that restarts with the same nodeId and durable gets, once each, what it missed", async () => {
    const prefix = uniqueName("nr");
    const stream = prefix.toUpperCase();
    streams.push(stream);
    const transport = { prefix, stream, durable: "worker" };
    const first = spawnBus("worker-1", transport);
    await first.ready();
    const parent = new EventBus({ nodeId: "parent-2" });
    buses.push(parent);
    await parent.bridge(new NatsTransport({ servers: NATS_URL, prefix, stream, durable: "parent" }));

    const before = Array.from({ length: 5 }, (_, n) => new Event("task.before", "parent-2", { n }));
    await parent.emitMany(before);
    await until(() => first.events().length === 5, { ...NATS_POLL, message: "the first run sees 5" });
    await first.close();

    const missed = Array.from({ length: 30 }, (_, n) => new Event("task.missed", "parent-2", { n }));
    await parent.emitMany(missed);

    const second = spawnBus("worker-1", transport);
    await second.ready();
    await until(() => second.events().length >= 30, { ...NATS_POLL, message: "the restart replays 30" });
    const after = new Event("task.after", "parent-2");
    await parent.emit(after);
    await until(() => second.events().some((e) => e.id === after.eventId), {
      ...NATS_POLL,
      message: "the live event after the replay",
    });
    expect(second.events().map((e) => e.id)).toEqual([...missed.map((e) => e.eventId), after.eventId]);
    await second.close();
  });
});
