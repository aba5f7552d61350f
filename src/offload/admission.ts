/**
 * Admission: at most `limit` jobs are admitted to the dispatcher (buffered in a lane or running);
 * the rest wait here, in order, and the emits that made them wait with them. This is the bus's
 * backpressure (`workers.maxQueue`). Piscina's own queue is not used for it: its `maxQueue`
 * rejects instead of waiting.
 */
import { Fifo } from "../fifo.js";
import type { Job } from "./job.js";

export class Admission<T> {
  private admitted = 0;
  private readonly waiting = new Fifo<Job<T>>();

  constructor(private readonly limit: number) {}

  /** Admits `job` if there is room and nobody waits before it; else it waits. */
  offer(job: Job<T>): boolean {
    if (this.admitted < this.limit && this.waiting.length === 0) {
      this.admit(job);
      return true;
    }
    this.waiting.push(job);
    return false;
  }

  /** `job` has settled: frees its place. */
  leave(job: Job<T>): void {
    if (!job.admitted) return;
    job.admitted = false;
    this.admitted--;
  }

  /** The next waiting job if there is room now (admitted), else null. */
  next(): Job<T> | null {
    if (this.admitted >= this.limit) return null;
    const job = this.waiting.shift();
    if (job === undefined) return null;
    this.admit(job);
    return job;
  }

  /** Removes every waiting job (the dispatcher is closing). */
  drainWaiting(): Job<T>[] {
    return this.waiting.drain();
  }

  private admit(job: Job<T>): void {
    job.admitted = true;
    this.admitted++;
  }
}
