/**
 * `bus.stream(pattern)`: the matching events as an async iterator, through a bounded buffer.
 *
 *   emit ─► handler ─► [ buffer: at most bufferSize ] ─► next() ─► for await
 *                 │ full: overflow policy
 *                 ├─ "drop-oldest" (default): the oldest buffered event goes, `dropped` counts it
 *                 ├─ "drop-newest": the arriving event goes, `dropped` counts it
 *                 └─ "wait": the handler waits for room, so that emit waits (backpressure)
 *
 * The subscription is removed when the loop breaks or returns (`return()`), when the signal
 * aborts (the loop then throws an AbortError), or when the bus closes (the loop ends after the
 * buffered events).
 */
import { InvalidOptionsError } from "../errors.js";
import { Fifo } from "../fifo.js";
import type { Event } from "../event.js";
import { z } from "zod";
import { signalOption } from "./subscription.js";
import { AbortError, type WaitHost } from "./waiting.js";

/**
 * What a stream does with an event that finds its buffer full.
 *
 * @example
 * ```ts
 * const stream = bus.stream("metrics.*", { bufferSize: 100, overflow: "drop-newest" });
 * ```
 */
export type OverflowPolicy = "drop-oldest" | "drop-newest" | "wait";

/**
 * Options of `bus.stream`.
 *
 * @example
 * ```ts
 * for await (const e of bus.stream("task.*", { bufferSize: 100, overflow: "wait", signal })) { ... }
 * ```
 */
export interface StreamOptions {
  /** Ends the stream: a pending or later `next()` rejects with an AbortError (code `ABORT_ERR`). */
  signal?: AbortSignal;
  /** Events buffered at most while the consumer is busy. Default 1024. */
  bufferSize?: number;
  /** Default "drop-oldest". */
  overflow?: OverflowPolicy;
}

const streamOptionsSchema = z.strictObject({
  signal: signalOption,
  bufferSize: z.number().int().positive().optional(),
  overflow: z.enum(["drop-oldest", "drop-newest", "wait"]).optional(),
});

interface Blocked<E> {
  event: E;
  admit: () => void;
}

/**
 * An async iterator of the events matching a pattern. Also `AsyncDisposable` (`await using`).
 *
 * @example
 * ```ts
 * const stream = bus.stream("agent.heartbeat");
 * for await (const e of stream) if (e.data.status === "down") break; // break unsubscribes
 * console.log(stream.dropped);
 * ```
 */
export class EventStream<E extends Event<string, object> = Event> implements AsyncIterableIterator<E>, AsyncDisposable {
  /** Events lost to the overflow policy so far. */
  dropped = 0;
  readonly subscriptionId: string;
  private readonly buffer = new Fifo<E>();
  private readonly blocked = new Fifo<Blocked<E>>();
  /** next() calls waiting for an event, oldest first. */
  private readonly readers = new Fifo<{ resolve: (r: IteratorResult<E>) => void; reject: (err: unknown) => void }>();
  private ended = false;
  /** Ended because the bus closed (not by return() or an abort): what is buffered can still be read. */
  private busClosed = false;
  /** A reader has been told `done`: nothing may be yielded after that. */
  private saidDone = false;
  private error: unknown = null;
  private readonly bufferSize: number;
  private readonly overflow: OverflowPolicy;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.fail(new AbortError(this.signal?.reason));
  private readonly forgetClose: () => void;

  /** @internal use `bus.stream()` */
  constructor(
    private readonly host: WaitHost,
    pattern: string,
    options: StreamOptions = {},
  ) {
    const parsed = streamOptionsSchema.safeParse(options);
    if (!parsed.success) throw InvalidOptionsError.fromIssues("stream options", parsed.error.issues);
    const { signal, bufferSize = 1024, overflow = "drop-oldest" } = parsed.data;
    this.signal = signal;
    this.bufferSize = bufferSize;
    this.overflow = overflow;
    if (this.signal?.aborted === true) throw new AbortError(this.signal.reason);
    this.subscriptionId = host.subscribe(pattern, (event) => this.push(event as E));
    this.forgetClose = host.onClose(() => this.end());
    this.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Events buffered and not yet read. */
  get buffered(): number {
    return this.buffer.length + this.blocked.length;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<E>> {
    if (this.buffer.length !== 0) return Promise.resolve({ value: this.take(), done: false });
    if (this.error !== null) {
      const error = this.error;
      this.error = null;
      return Promise.reject(error);
    }
    if (this.ended) {
      this.saidDone = true;
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.readers.push({ resolve, reject });
    });
  }

  /** Stops the stream and removes its subscription (what `break` in `for await` calls). */
  return(): Promise<IteratorResult<E>> {
    this.stop();
    this.buffer.clear();
    return Promise.resolve({ value: undefined, done: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  private push(event: E): unknown {
    if (this.ended) {
      // An emit that began before the stream stopped still runs its handler (an emit keeps the
      // match set it started with): after return() or an abort the event goes; after the bus
      // closed it joins what can still be read, and never waits (nothing would admit it), unless a
      // reader has already been told the stream is done: then it is dropped, and counted.
      if (this.busClosed && !this.saidDone) this.buffer.push(event);
      else if (this.busClosed) this.dropped++;
      return undefined;
    }
    const reader = this.readers.shift();
    if (reader !== undefined) {
      reader.resolve({ value: event, done: false });
      return undefined;
    }
    if (this.buffered < this.bufferSize) {
      this.buffer.push(event);
      return undefined;
    }
    if (this.overflow === "drop-oldest") {
      this.take();
      this.buffer.push(event);
      this.dropped++;
      return undefined;
    }
    if (this.overflow === "drop-newest") {
      this.dropped++;
      return undefined;
    }
    return new Promise<void>((admit) => this.blocked.push({ event, admit }));
  }

  /** The oldest buffered event (the buffer is not empty); a blocked one takes its place. */
  private take(): E {
    const event = this.buffer.shift()!;
    const next = this.blocked.shift();
    if (next !== undefined) {
      this.buffer.push(next.event);
      next.admit();
    }
    return event;
  }

  /** The bus closed: what is buffered (or blocked) can still be read, then the loop ends. */
  private end(): void {
    if (this.ended) return;
    this.busClosed = true;
    for (const b of this.blocked.drain()) {
      this.buffer.push(b.event);
      b.admit();
    }
    this.stop();
  }

  private fail(error: unknown): void {
    this.buffer.clear();
    const readers = this.readers.drain();
    if (readers.length === 0) this.error = error; // for the next call of next()
    for (const reader of readers) reader.reject(error);
    this.stop();
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.host.unsubscribe(this.subscriptionId);
    this.signal?.removeEventListener("abort", this.onAbort);
    this.forgetClose();
    for (const b of this.blocked.drain()) b.admit(); // blocked emits must not wait for ever
    for (const reader of this.readers.drain()) {
      this.saidDone = true;
      reader.resolve({ value: undefined, done: true });
    }
  }
}
