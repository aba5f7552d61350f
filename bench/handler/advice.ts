/**
 * The advice line: inline or offloaded, and with how many threads, derived from the figures of one
 * run (never from speed assumptions). The rule, in order:
 *
 * 1. Among the offloaded runs, take the fewest threads within 10% of the best offloaded rate
 *    (a thread that adds less than that is not worth its memory and CPU).
 * 2. Offload when that run does at least 1.1x the inline rate.
 * 3. Offload too when it keeps the event loop responsive at an acceptable cost: inline event-loop
 *    delay p99 of 50 ms or more, offloaded a quarter of it or less, at half the inline rate or more.
 *    A delay measured on too few samples is not used.
 * 4. Otherwise stay inline: handing an event to a thread costs more than the handler saves.
 *
 * Failed events count in the rates like the others: when every measured event failed there is no
 * advice (mode "none"), and when some did the advice says so, since it then weighs failures.
 */
import { formatRate } from "../harness.js";
import { runLabel, type HandlerRun, type Recommendation } from "./result.js";

const WORTH_A_THREAD = 0.9;
const FASTER = 1.1;
const BLOCKING_DELAY_MS = 50;

/** A delay for the advice line: `3.1 ms`, or the figure flagged when its samples are too few. */
export function describeDelay(run: HandlerRun): string {
  const ms = run.eventLoopDelayP99Ms;
  const text = ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
  return run.eventLoopDelayTooFewSamples ? `${text} (too few samples: ${run.eventLoopDelaySamples})` : text;
}

export function advise(runs: readonly HandlerRun[]): Recommendation {
  const failing = runs.filter((r) => r.failed > 0);
  if (failing.length > 0 && failing.length === runs.length && runs.every((r) => r.failed === r.events)) {
    const first = failing.find((r) => r.firstError !== null)?.firstError ?? "unknown";
    return { mode: "none", threads: 0, reason: `no advice: every measured event failed (first error: ${first})` };
  }
  const advice = adviseOnRates(runs);
  if (failing.length === 0) return advice;
  const where = failing.map((r) => `${r.failed} of ${r.events} ${runLabel(r)}`).join(", ");
  return { ...advice, reason: `${advice.reason}; but events failed (${where}), and their rates count them` };
}

function adviseOnRates(runs: readonly HandlerRun[]): Recommendation {
  const inline = runs.find((r) => r.mode === "inline");
  const offloaded = runs.filter((r) => r.mode === "offload");
  if (inline === undefined) throw new Error("advise: no inline run to compare against");
  if (offloaded.length === 0)
    return { mode: "inline", threads: 0, reason: "stay inline: no offloaded thread count was measured" };
  const best = Math.max(...offloaded.map((r) => r.eventsPerSec));
  const chosen = [...offloaded]
    .sort((a, b) => a.threads - b.threads)
    .find((r) => r.eventsPerSec >= WORTH_A_THREAD * best)!;
  const ratio = chosen.eventsPerSec / inline.eventsPerSec;
  const threads = `${chosen.threads} thread${chosen.threads === 1 ? "" : "s"}`;
  const delays = `event-loop delay p99 ${describeDelay(chosen)} instead of ${describeDelay(inline)}`;
  if (ratio >= FASTER) {
    return {
      mode: "offload",
      threads: chosen.threads,
      reason: `offload with ${threads}: ${ratio.toFixed(1)}x the inline rate (${formatRate(chosen.eventsPerSec)} against ${formatRate(inline.eventsPerSec)}), ${delays}`,
    };
  }
  const delaysKnown = !inline.eventLoopDelayTooFewSamples && !chosen.eventLoopDelayTooFewSamples;
  if (
    delaysKnown &&
    inline.eventLoopDelayP99Ms >= BLOCKING_DELAY_MS &&
    chosen.eventLoopDelayP99Ms <= inline.eventLoopDelayP99Ms / 4 &&
    ratio >= 0.5
  ) {
    return {
      mode: "offload",
      threads: chosen.threads,
      reason: `offload with ${threads} for responsiveness: ${delays}, at ${ratio.toFixed(2)}x the inline rate`,
    };
  }
  const inlineRatio = inline.eventsPerSec / chosen.eventsPerSec;
  return {
    mode: "inline",
    threads: 0,
    reason: `stay inline: ${inlineRatio.toFixed(1)}x the best offloaded rate (${formatRate(inline.eventsPerSec)} against ${formatRate(chosen.eventsPerSec)} with ${threads}), event-loop delay p99 ${describeDelay(inline)} inline`,
  };
}
