/**
 * Event-loop delay, sampled as monitorEventLoopDelay does (a 1 ms timer; each sample is how late
 * it fired), but recorded into a mergeable histogram: a mode runs in several rounds with other
 * modes in between, and its delay must be the distribution over its own rounds only.
 * monitorEventLoopDelay cannot do that: its histograms cannot be merged, and one disabled and
 * enabled again counts the first interval since the previous sample, i.e. the time the other
 * modes ran, as one huge delay.
 */
import { createHistogram, type RecordableHistogram } from "node:perf_hooks";

const RESOLUTION_MS = 1;

export class DelaySampler {
  /** Every sample of this round, in nanoseconds. */
  readonly round: RecordableHistogram = createHistogram();
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      // A histogram records integers ≥ 1: a timer on time records 1 ns.
      this.round.record(Math.max(1, Math.round((now - this.last - RESOLUTION_MS) * 1e6)));
      this.last = now;
    }, RESOLUTION_MS);
  }

  /** Stops sampling and adds this round's samples to `total`. */
  stop(total: RecordableHistogram): void {
    clearInterval(this.timer);
    total.add(this.round);
  }
}

/** p99 in milliseconds of a histogram of nanoseconds, 0 when it holds no sample. */
export function p99Ms(histogram: RecordableHistogram): number {
  return histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
}
