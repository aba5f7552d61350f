/**
 * The per-subscription `concurrency` option: at most `limit` calls of one subscription's handler
 * run at once; the others wait in a FIFO queue and start, in emit order, as running ones settle.
 *
 * The queue needs no bound of its own: each queued call belongs to an emit whose promise stays
 * pending until that call has run and settled, so an emitter that awaits its emits is held back
 * (backpressure, as with the worker pool's maxQueue), and nothing is dropped or failed. An
 * emitter that does not await accumulates pending emits, as it would with any slow handler.
 */
import { Fifo } from "../fifo.js";

/**
 * Runs tasks with at most `limit` of them in flight.
 *
 * @example
 * ```ts
 * bus.subscribe("task.*", saveToDb, { concurrency: 1 }); // one call at a time, in emit order
 * ```
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly queue = new Fifo<() => void>();

  constructor(private readonly limit: number) {}

  /** Runs `task` now when a slot is free (synchronously), else after the calls queued before it. */
  run(task: () => unknown): Promise<unknown> {
    if (this.running < this.limit) return this.start(task);
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push(() => this.start(task).then(resolve, reject));
    });
  }

  private start(task: () => unknown): Promise<unknown> {
    this.running++;
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(task());
    } catch (err) {
      outcome = Promise.reject(err);
    }
    const release = (): void => this.release();
    outcome.then(release, release);
    return outcome;
  }

  private release(): void {
    this.running--;
    this.queue.shift()?.();
  }
}
