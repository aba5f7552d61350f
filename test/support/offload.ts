import { BroadcastChannel } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { EventBus, type BusError, type BusOptions } from "../../src/index.js";

export const HANDLERS = fileURLToPath(new URL("./fixtures/handlers.mjs", import.meta.url));
export const EXITS_ON_LOAD = fileURLToPath(new URL("./fixtures/exits-on-load.mjs", import.meta.url));

export interface Report {
  eventId: string;
  type: string;
  n: number | undefined;
  thread: number;
  action?: string;
}

/** Listens to what the fixture handlers report from their threads. */
export function listen(): { reports: Report[]; close: () => void } {
  const channel = new BroadcastChannel("neurectomy-offload-test");
  const reports: Report[] = [];
  channel.onmessage = (message) => {
    reports.push((message as { data: Report }).data);
  };
  return { reports, close: () => channel.close() };
}

/** Polls `condition` until it holds or the deadline passes (then throws with `what`). */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** How many times each n was reported. */
export function countsByN(reports: readonly Report[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of reports) if (r.n !== undefined) counts.set(r.n, (counts.get(r.n) ?? 0) + 1);
  return counts;
}

/**
 * Buses made for a test, each with its own collector of the fixture handlers' reports and an
 * onError that keeps what it gets; `closeAll` (in afterEach) closes them and their channels.
 */
export function testBuses(): {
  setup: (options?: BusOptions) => { bus: EventBus; errors: BusError[]; reports: Report[] };
  closeAll: (timeoutMs: number) => Promise<void>;
} {
  const open: { bus: EventBus; close: () => void }[] = [];
  return {
    setup(options = {}) {
      const errors: BusError[] = [];
      const bus = new EventBus({ onError: (e) => errors.push(e), ...options });
      const channel = listen();
      open.push({ bus, close: channel.close });
      return { bus, errors, reports: channel.reports };
    },
    async closeAll(timeoutMs) {
      for (const { bus, close } of open.splice(0)) {
        await bus.close({ timeoutMs });
        close();
      }
    },
  };
}
