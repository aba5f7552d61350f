/**
 * LoadDriver: the demo's three ways of emitting (awaited, un-awaited bursts, emitMany), each
 * bounded by an event budget and a wall-clock deadline, with every EmitResult summed.
 *
 * Awaited emits of synchronous handlers resolve as microtasks, so a loop of them never lets a
 * timer run: the driver yields to the event loop every YIELD_EVERY events, which keeps the
 * progress line alive and lets the deadline be checked even when every handler is synchronous.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { EmitResult, Event, EventBus } from "../index.js";

const YIELD_EVERY = 512;

/** The sum of every EmitResult the demo received. */
export interface OutcomeTotals {
  matched: number;
  delivered: number;
  filtered: number;
  failed: number;
}

/** Events sent, by the way they were sent. */
export interface SentCounts {
  total: number;
  awaited: number;
  burst: number;
  batched: number;
}

export type StopReason = "events" | "seconds";

export interface LoadDriverOptions {
  events: number;
  deadline: number;
  /** Un-awaited emits allowed in flight at once; past it, `burst` waits for one to settle. */
  maxConcurrent: number;
}

export class LoadDriver {
  readonly sent: SentCounts = { total: 0, awaited: 0, burst: 0, batched: 0 };
  readonly totals: OutcomeTotals = { matched: 0, delivered: 0, filtered: 0, failed: 0 };
  /** Emits that rejected (none are expected: handler errors never reject an emit). */
  readonly rejections: unknown[] = [];
  stoppedBy: StopReason | null = null;
  /** Un-awaited emits not yet settled, and the most there ever were. */
  pending = 0;
  pendingPeak = 0;
  private readonly waiters: (() => void)[] = [];
  private untilYield = YIELD_EVERY;

  constructor(
    private readonly bus: EventBus,
    private readonly options: LoadDriverOptions,
  ) {}

  /** Whether the budget or the deadline has run out. */
  get stopped(): boolean {
    return this.stoppedBy !== null;
  }

  /** Emits one event and waits for all its handlers. @returns false once stopped. */
  async awaited(event: Event): Promise<boolean> {
    if (!(await this.admit(1))) return false;
    this.sent.awaited++;
    await this.bus.emit(event).then(this.record, this.reject);
    return true;
  }

  /** Emits without waiting for the handlers; waits only while `maxConcurrent` are in flight. */
  async burst(event: Event): Promise<boolean> {
    if (!(await this.admit(1))) return false;
    while (this.pending >= this.options.maxConcurrent) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.sent.burst++;
    this.pending++;
    if (this.pending > this.pendingPeak) this.pendingPeak = this.pending;
    this.bus.emit(event).then(this.record, this.reject).finally(this.release);
    return true;
  }

  /** emitMany of as many of `events` as the budget allows. @returns how many were sent. */
  async many(events: Event[]): Promise<number> {
    const room = Math.min(events.length, this.options.events - this.sent.total);
    if (room <= 0 || !(await this.admit(room))) return 0;
    this.sent.batched += room;
    const results = await this.bus
      .emitMany(room === events.length ? events : events.slice(0, room))
      .catch((err: unknown) => {
        this.reject(err);
        return [];
      });
    for (const result of results) this.record(result);
    return room;
  }

  /** Waits until every un-awaited emit has settled. */
  async drain(): Promise<void> {
    while (this.pending > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Counts `n` events against the budget, yielding to the event loop now and then. */
  private async admit(n: number): Promise<boolean> {
    if (this.stoppedBy !== null) return false;
    if (this.sent.total + n > this.options.events) {
      this.stoppedBy = "events";
      return false;
    }
    this.untilYield -= n;
    if (this.untilYield <= 0) {
      this.untilYield = YIELD_EVERY;
      await yieldToLoop();
      if (performance.now() >= this.options.deadline) {
        this.stoppedBy = "seconds";
        return false;
      }
    }
    this.sent.total += n;
    if (this.sent.total >= this.options.events) this.stoppedBy = "events";
    return true;
  }

  private readonly record = (result: EmitResult): void => {
    const t = this.totals;
    t.matched += result.matched;
    t.delivered += result.delivered;
    t.filtered += result.filtered;
    t.failed += result.failed;
  };

  private readonly reject = (err: unknown): void => {
    this.rejections.push(err);
  };

  private readonly release = (): void => {
    this.pending--;
    this.waiters.shift()?.();
  };
}
