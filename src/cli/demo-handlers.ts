/**
 * The demo's subscribers: one per kind of pattern in the grammar, sync and async handlers, a
 * filter, a `once` subscription and a handler that throws now and then. Each counts what it saw
 * in a HandlerTally, so the report can show that every event reached every handler it should.
 */
import { existsSync } from "node:fs";
import { setImmediate as simulatedIo } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Event, EventBus } from "../index.js";
import { offload } from "../index.js";

/** What each subscriber saw. */
export interface HandlerTally {
  /** `*` (sync): every event. */
  all: number;
  /** `task.*` (sync): task lifecycle, by outcome. */
  tasks: { started: number; completed: number; failed: number; skipped: number };
  /** `work*` (async, character prefix): workflows. */
  workflows: { started: number; completed: number; failed: number };
  /** `ag*` (sync, character prefix): agent lifecycle; `down` is agents failed and not recovered. */
  agents: { registered: number; failed: number; recovered: number; down: number };
  /** `agent.heartbeat` (sync, exact). */
  heartbeats: number;
  /** `*.failed` (sync) behind a filter that lets critical failures through only. */
  criticalFailures: number;
  /** `storage.*` (async, simulated I/O): storage operations and bytes moved. */
  storage: { uploaded: number; retrieved: number; deleted: number; bytes: number };
  /** `storage.retrieved` (sync, exact): checksum checks that threw. */
  checksumThrows: number;
  /** `agent.registered` with `once: true`: runs of it (should be 1). */
  onceRuns: number;
}

export function newTally(): HandlerTally {
  return {
    all: 0,
    tasks: { started: 0, completed: 0, failed: 0, skipped: 0 },
    workflows: { started: 0, completed: 0, failed: 0 },
    agents: { registered: 0, failed: 0, recovered: 0, down: 0 },
    heartbeats: 0,
    criticalFailures: 0,
    storage: { uploaded: 0, retrieved: 0, deleted: 0, bytes: 0 },
    checksumThrows: 0,
    onceRuns: 0,
  };
}

/** The last segment of an event type (`task.completed` -> `completed`). */
function action(event: Event): string {
  return event.eventType.slice(event.eventType.lastIndexOf(".") + 1);
}

function num(value: unknown): number {
  return typeof value === "number" ? value : 0;
}

/** Subscribes every demo handler to `bus`, counting into `tally`. @returns the subscription ids. */
export function subscribeDemoHandlers(bus: EventBus, tally: HandlerTally): string[] {
  const down = new Set<unknown>();
  const ids: string[] = [];

  ids.push(
    bus.subscribe("*", () => {
      tally.all++;
    }),
  );

  ids.push(
    bus.subscribe("task.*", (event) => {
      const what = action(event);
      if (what === "started" || what === "completed" || what === "failed" || what === "skipped") tally.tasks[what]++;
    }),
  );

  // `work*` is a character prefix: every type whose first segment starts with "work".
  ids.push(
    bus.subscribe("work*", async (event) => {
      await Promise.resolve();
      const what = action(event);
      if (what === "started" || what === "completed" || what === "failed") tally.workflows[what]++;
    }),
  );

  ids.push(
    bus.subscribe("ag*", (event) => {
      const agent = event.data["agent_id"];
      const what = action(event);
      if (what === "registered") tally.agents.registered++;
      else if (what === "failed") {
        tally.agents.failed++;
        down.add(agent);
      } else if (what === "recovered") {
        tally.agents.recovered++;
        down.delete(agent);
      }
      tally.agents.down = down.size;
    }),
  );

  ids.push(
    bus.subscribe("agent.heartbeat", () => {
      tally.heartbeats++;
    }),
  );

  ids.push(
    bus.subscribe(
      "*.failed",
      () => {
        tally.criticalFailures++;
      },
      { filter: (event) => event.data["severity"] === "critical" },
    ),
  );

  // Storage handlers wait for a turn of the event loop, like real I/O: they are what keeps
  // deliveries in flight while a burst is running.
  ids.push(
    bus.subscribe("storage.*", async (event) => {
      await simulatedIo();
      const what = action(event);
      if (what === "uploaded" || what === "retrieved" || what === "deleted") tally.storage[what]++;
      tally.storage.bytes += num(event.data["size_bytes"]);
    }),
  );

  // Throws on a corrupt blob: the bus counts it as failed and reports it to onError, and every
  // other handler of the same event still runs.
  ids.push(
    bus.subscribe("storage.retrieved", (event) => {
      if (event.data["checksum_ok"] === false) {
        tally.checksumThrows++;
        throw new Error(`checksum mismatch for blob ${String(event.data["blob_id"])}`);
      }
    }),
  );

  ids.push(
    bus.subscribe(
      "agent.registered",
      () => {
        tally.onceRuns++;
      },
      { once: true },
    ),
  );

  ids.push(...subscribeOffloadedHandlers(bus));
  return ids;
}

/**
 * The CPU-heavy handler runs in the worker pool: `compression.started` events are compressed
 * for real (demo-compress.ts) on other threads while the main thread keeps dispatching. Its
 * figures are in getStats().workers.
 */
function subscribeOffloadedHandlers(bus: EventBus): string[] {
  const compress = offload(compiledModule("demo-compress.js"), "handle", { timeoutMs: 5000 });
  return [bus.subscribe("compression.started", compress)];
}

/** Worker threads run plain Node: the compiled module beside this one, or in dist/ under tests. */
function compiledModule(name: string): URL {
  const beside = new URL(`./${name}`, import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL(`../../dist/src/cli/${name}`, import.meta.url);
}
