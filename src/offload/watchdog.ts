/**
 * Stops offloaded handlers that run past their timeout when the worker cannot stop them itself.
 *
 * The worker races an async handler against its timeout, so most timeouts end there. A handler
 * that blocks its thread synchronously cannot be raced: the watchdog reads the batch's progress
 * slots (protocol.ts) every TICK_MS and, when the running item has gone past its timeout plus a
 * grace period (so the worker's own race wins when it can), aborts the Piscina task, which
 * terminates the thread. The dispatcher then fails that item with EBUS_HANDLER_TIMEOUT and sends
 * the items that had not started again.
 */
import { P_CURRENT, P_LOADING, P_OUTCOMES, P_START, RUNNING, STOPPED } from "./protocol.js";

const TICK_MS = 10;
/** Extra time a job gets while its module loads (a module that hangs on import is stopped too). */
const LOAD_GRACE_MS = 10_000;
/** A tick this late means the main thread was blocked (see tick()). */
const STALLED_TICK_MS = 100;

/** Extra time a handler gets past its timeout before its thread is terminated. */
export function graceMs(timeoutMs: number): number {
  return Math.max(20, timeoutMs * 0.1);
}

export class Watch {
  readonly controller = new AbortController();
  /** Set when the watchdog aborted the task. */
  timedOut = false;
  constructor(
    readonly progress: Int32Array,
    readonly base: number,
    /** Per item, its timeout in ms (0: none). */
    readonly timeouts: readonly number[],
  ) {}
}

export class Watchdog {
  private readonly watched = new Set<Watch>();
  private timer: NodeJS.Timeout | null = null;
  private lastTick = 0;

  watch(progress: SharedArrayBuffer, base: number, timeouts: readonly number[]): Watch {
    const watch = new Watch(new Int32Array(progress), base, timeouts);
    this.watched.add(watch);
    if (this.timer === null) {
      this.lastTick = Date.now();
      this.timer = setInterval(() => this.tick(), TICK_MS);
      // A running task holds the event loop open; the watchdog alone must not.
      this.timer.unref();
    }
    return watch;
  }

  unwatch(watch: Watch): void {
    this.watched.delete(watch);
    if (this.watched.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTick > STALLED_TICK_MS;
    this.lastTick = now;
    // The main thread was held up: a thread that died meanwhile has its exit waiting behind this
    // tick. Look once this turn's I/O (that exit among it) has been taken, not now, so as not to
    // take the death for a timeout. (Skipping late ticks instead left a hung handler running for
    // as long as the main thread kept lagging past STALLED_TICK_MS a tick.)
    if (late) setImmediate(this.lookLater);
    else this.look(now);
  }

  private readonly lookLater = (): void => {
    if (this.timer !== null) this.look(Date.now());
  };

  private look(now: number): void {
    for (const watch of this.watched) {
      const current = Atomics.load(watch.progress, P_CURRENT);
      if (current < 0 || Atomics.load(watch.progress, P_OUTCOMES + current) !== RUNNING) continue;
      const timeout = watch.timeouts[current] ?? 0;
      if (timeout === 0) continue;
      const elapsed = now - watch.base - Atomics.load(watch.progress, P_START);
      const limit = timeout + graceMs(timeout) + (Atomics.load(watch.progress, P_LOADING) === 1 ? LOAD_GRACE_MS : 0);
      // Claim the batch only if the worker is still on that job (see P_CURRENT in protocol.ts).
      if (elapsed > limit && Atomics.compareExchange(watch.progress, P_CURRENT, current, STOPPED) === current) {
        watch.timedOut = true;
        this.watched.delete(watch);
        watch.controller.abort();
      }
    }
    if (this.watched.size === 0) this.stop();
  }
}
