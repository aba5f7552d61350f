/**
 * For the offload suites: the paths of the fixture handler modules (test/support/fixtures/), and
 * what those handlers report from their threads over a BroadcastChannel.
 */
import { BroadcastChannel } from "node:worker_threads";
import { fileURLToPath } from "node:url";

export const HANDLERS = fileURLToPath(new URL("./fixtures/handlers.mjs", import.meta.url));
export const EXITS_ON_LOAD = fileURLToPath(new URL("./fixtures/exits-on-load.mjs", import.meta.url));
export const FOLLOW_UPS = fileURLToPath(new URL("./fixtures/follow-ups.mjs", import.meta.url));
/** The folder of the fixtures, as `neurobus bench --handler` resolves a FILE#EXPORT against it. */
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

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

/** How many times each n was reported. */
export function countsByN(reports: readonly Report[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of reports) if (r.n !== undefined) counts.set(r.n, (counts.get(r.n) ?? 0) + 1);
  return counts;
}
