/**
 * The per-subscription `concurrency` option: at most `limit` calls of one subscription's handler
 * run at once; the others wait in a FIFO line and start, in emit order, as running ones settle. A
 * call whose async filter has not answered yet holds its place (see Place), as a running handler
 * holds its slot: a filter that never answers stops the line like a handler that never returns.
 *
 * The queue needs no bound of its own: each queued call belongs to an emit whose promise stays
 * pending until that call has run and settled, so an emitter that awaits its emits is held back
 * (backpressure, as with the worker pool's maxQueue), and nothing is dropped or failed. An
 * emitter that does not await accumulates pending emits, as it would with any slow handler.
 */
import { Fifo } from "../fifo.js";

/**
 * A place in a limiter's line, taken when the event is emitted and filled in (or given up) later:
 * a subscription with an async filter takes its place at emit, so that its calls still start in
 * emit order, not in the order their filters answer.
 */
export interface Place {
  /** Runs `task` once every place before this one has started or been given up, and a slot is free. */
  start(task: () => unknown): Promise<unknown>;
  /** The call will not run (its filter said no, or failed): the line moves on. */
  giveUp(): void;
}

interface Waiting {
  task: (() => unknown) | null;
  givenUp: boolean;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

const unset = (): void => undefined;

/**
 * Runs tasks with at most `limit` of them in flight, starting them in the order they joined.
 *
 * @example
 * ```ts
 * bus.subscribe("task.*", saveToDb, { concurrency: 1 }); // one call at a time, in emit order
 * ```
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly line = new Fifo<Waiting>();

  constructor(private readonly limit: number) {}

  /** Runs `task` now when a slot is free and no one waits (synchronously), else after those before it. */
  run(task: () => unknown): Promise<unknown> {
    if (this.running < this.limit && this.line.length === 0) return this.start(task);
    return this.reserve().start(task);
  }

  /** Takes a place at the end of the line now, for a task given later. */
  reserve(): Place {
    const waiting: Waiting = { task: null, givenUp: false, resolve: unset, reject: unset };
    this.line.push(waiting);
    return {
      start: (task) =>
        new Promise<unknown>((resolve, reject) => {
          waiting.task = task;
          waiting.resolve = resolve;
          waiting.reject = reject;
          this.pump();
        }),
      giveUp: () => {
        waiting.givenUp = true;
        this.pump();
      },
    };
  }

  /** Starts the head of the line while slots are free; a place still waiting for its task holds the rest back. */
  private pump(): void {
    while (this.running < this.limit) {
      const head = this.line.peek();
      if (head === undefined || (head.task === null && !head.givenUp)) return;
      this.line.shift();
      if (!head.givenUp) this.start(head.task!).then(head.resolve, head.reject);
    }
  }

  private start(task: () => unknown): Promise<unknown> {
    this.running++;
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(task());
    } catch (err) {
      outcome = Promise.reject(err);
    }
    const release = (): void => {
      this.running--;
      this.pump();
    };
    outcome.then(release, release);
    return outcome;
  }
}
