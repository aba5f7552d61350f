/**
 * The outgoing half of the NATS bridge: local events to subjects, without losing one silently.
 *
 *   publish ──► connected? ──yes──► send now (core: nc.publish, done)
 *                  │ no
 *                  ▼
 *   outbox (by emit order; bounded by maxBuffered with the tries in flight) ──► sent on reconnect
 *
 * JetStream: publish with msgID = event id (PipelinedAcks), and wait for the ack. Each event has its own
 * retry budget (publishRetryMs, counted from its emit) and its own backoff schedule: a try that
 * meets a transient failure (503 no responders while the stream elects a leader, no ack within
 * publishTimeoutMs, a dropped connection) puts the event back in the outbox at its place with a
 * timer of its own; only that timer sends it again. (A timer that resent the whole outbox burnt
 * every queued event's tries within milliseconds during a leader election.) Sending a message
 * again is safe: the stream's duplicate window drops a second copy. An event fails
 * (EBUS_TRANSPORT, the last client error as `cause`) when its budget is spent (twice that when
 * a try may have been stored), at once when the server refused it for good, or when the bridge
 * closes first.
 *
 * A try in flight when the connection drops counts as failed at once (the client would leave
 * it pending until its own timeout) and goes out again after the reconnect. If that old try
 * still gets its ack, the event succeeds with it.
 */
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { TransportError } from "../errors.js";
import type { JetStreamPublish } from "./pipelined-acks.js";
import { classify, describeFailure, mayHaveLanded, type TryFailure } from "./publish-errors.js";
import { PublishHeaders, publishHead } from "./wire-headers.js";
import { textOf } from "../describe-input.js";

/** Pause before the next try: 50 ms doubling to 1 s, with ±25% jitter so that events do not retry in lockstep. */
const retryDelayMs = (tries: number): number => Math.min(1000, 50 * 2 ** (tries - 1)) * (0.75 + Math.random() * 0.5);

type ItemState = "queued" | "sending" | "done";

interface Outgoing {
  readonly seq: number;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly eventId: string;
  /** Date.now() past which no new try starts (emit time + publishRetryMs); see deadlineOf(). */
  readonly deadline: number;
  state: ItemState;
  tries: number;
  /** The id of the current try; a late answer to an abandoned one carries an older id. */
  attempt: number;
  /** Not sent again before this Date.now(). */
  readyAt: number;
  /** Why the last try failed, and the client's error. */
  failure: TryFailure | null;
  lastError: unknown;
  /** Some try's fate is unknown (timed out, or in flight when the connection dropped). */
  uncertain: boolean;
  timer: NodeJS.Timeout | null;
  resolve(): void;
  reject(error: Error): void;
}

export interface PublisherCounters {
  published: number;
  duplicates: number;
  retries: number;
}

export interface PublisherConfig {
  /** The JetStream stream, or null for core NATS. */
  readonly stream: string | null;
  readonly nodeId: string;
  /** This bridge's own id, in the Neuro-Link header of its JetStream publishes. */
  readonly linkId: string;
  readonly maxBuffered: number;
  /** One try's wait for its ack. */
  readonly publishTimeoutMs: number;
  /** One event's time to succeed, from its emit, across tries and reconnects. */
  readonly publishRetryMs: number;
}

export interface PublisherInit {
  readonly nc: NatsConnection;
  /** JetStream publishing (PipelinedAcks), or null for core NATS. */
  readonly js: JetStreamPublish | null;
  /** The origin headers every published event carries. */
  readonly originHeaders: MsgHdrs;
  readonly config: PublisherConfig;
  /** The bridge's counters, which the publisher bumps. */
  readonly counters: PublisherCounters;
  readonly isConnected: () => boolean;
}

export class Publisher {
  /** Queued events by seq: waiting for a connection, or for their next try. */
  private readonly outbox: Outgoing[] = [];
  /** Events whose current try awaits its ack. */
  private readonly inFlight = new Set<Outgoing>();
  private seq = 0;
  private attempts = 0;
  /** False once closing: what is queued fails, nothing new is queued. */
  private open = true;
  private drained: (() => void) | null = null;
  private readonly head: string;

  private readonly nc: NatsConnection;
  private readonly js: JetStreamPublish | null;
  /** The options of every core publish, one object: the client sets its `reply` to "" on the first. */
  private readonly coreOptions: { headers: MsgHdrs; reply?: string };
  private readonly config: PublisherConfig;
  private readonly counters: PublisherCounters;
  private readonly isConnected: () => boolean;

  constructor(init: PublisherInit) {
    this.nc = init.nc;
    this.js = init.js;
    this.coreOptions = { headers: init.originHeaders };
    this.config = init.config;
    this.counters = init.counters;
    this.isConnected = init.isConnected;
    this.head = publishHead(init.config.nodeId, init.config.linkId);
  }

  /** Events queued or awaiting a JetStream ack. */
  get pending(): number {
    return this.outbox.length + this.inFlight.size;
  }

  /** Publishes `payload`; "sent" when core NATS took it at once, else a promise of the outcome. */
  publish(subject: string, payload: Uint8Array, eventId: string): "sent" | Promise<void> {
    if (this.js === null && this.outbox.length === 0 && this.isConnected()) {
      this.nc.publish(subject, payload, this.coreOptions);
      this.counters.published++;
      return "sent";
    }
    if (!this.open) return Promise.reject(new TransportError(`the bridge is closing: event ${eventId} not sent`));
    if (this.pending >= this.config.maxBuffered) {
      return Promise.reject(
        new TransportError(
          `publish buffer full (maxBuffered ${this.config.maxBuffered}): event ${eventId} not sent; the connection is down or the stream is slow`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const now = Date.now();
      const item: Outgoing = {
        seq: this.seq++,
        subject,
        // A small Buffer.from() is a slice of an 8 KB pool it keeps alive: an item may wait for a
        // long outage, so it keeps a copy of its own (a core publish sent at once keeps nothing).
        payload: payload.byteLength === payload.buffer.byteLength ? payload : new Uint8Array(payload),
        eventId,
        deadline: now + this.config.publishRetryMs,
        state: "queued",
        tries: 0,
        attempt: 0,
        readyAt: now,
        failure: null,
        lastError: undefined,
        uncertain: false,
        timer: null,
        resolve,
        reject,
      };
      // Events waiting for a connection keep emit order: a new one joins them (retrying ones
      // have their own schedule and are not waited for).
      if (this.isConnected() && (this.js !== null || this.outbox.length === 0)) this.send(item);
      else this.queue(item, "disconnected");
    });
  }

  /** After a reconnect: sends what waited for the connection, in emit order. */
  pump(): void {
    if (!this.open || !this.isConnected()) return;
    const now = Date.now();
    const ready = this.outbox.filter((item) => item.readyAt <= now);
    if (ready.length === 0) return;
    const waiting = this.outbox.filter((item) => item.readyAt > now);
    this.outbox.splice(0, this.outbox.length, ...waiting);
    for (const item of ready) this.send(item);
  }

  /** The connection dropped: tries in flight count as failed now, and go out again after the reconnect. */
  disconnected(): void {
    for (const item of [...this.inFlight]) {
      this.inFlight.delete(item);
      item.attempt = ++this.attempts; // the old try's failure is ignored; its ack still counts
      item.uncertain = true;
      this.noteFailure(item, "disconnected", item.lastError);
      if (this.open) this.queue(item, "disconnected");
      else this.fail(item, this.failureMessage(item, Date.now()));
    }
  }

  /** Fails everything queued; waits for the JetStream tries in flight (bounded by their timeout). */
  async close(reason: string): Promise<void> {
    this.open = false;
    for (const item of this.outbox.splice(0)) this.fail(item, `${reason} before event ${item.eventId} was sent`);
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
  }

  private send(item: Outgoing): void {
    if (item.timer !== null) clearTimeout(item.timer);
    item.timer = null;
    if (this.js === null) {
      try {
        this.nc.publish(item.subject, item.payload, this.coreOptions);
        this.counters.published++;
        this.settle(item, null);
      } catch (err) {
        this.noteFailure(item, classify(err), err);
        this.settle(
          item,
          new TransportError(`publish of event ${item.eventId} to ${item.subject} failed: ${textOf(err)}`, {
            cause: err,
          }),
        );
      }
      return;
    }
    item.state = "sending";
    if (item.tries++ > 0) this.counters.retries++;
    const attempt = (item.attempt = ++this.attempts);
    this.inFlight.add(item);
    // A fresh header set per try: js.publish writes the message id into the one it is given.
    const headers = new PublishHeaders(this.config.nodeId, this.config.linkId, this.head);
    let acked: ReturnType<JetStreamPublish["publish"]>;
    try {
      acked = this.js.publish(item.subject, item.payload, { msgID: item.eventId, headers });
    } catch (err) {
      // Refused before it was sent (a message id the client cannot put in a header): no try can
      // do better, and the item must not stay in flight (close() waits for those).
      this.noteFailure(item, "permanent", err);
      this.settle(
        item,
        new TransportError(`publish of event ${item.eventId} to ${item.subject} refused: ${textOf(err)}`, {
          cause: err,
        }),
      );
      return;
    }
    acked.then(
      (ack) => {
        // Even the ack of an abandoned try counts: the message is stored.
        if (item.state === "done") return;
        this.counters.published++;
        if (ack.duplicate) this.counters.duplicates++;
        this.settle(item, null);
      },
      (err: unknown) => {
        if (item.state === "done" || item.attempt !== attempt) return;
        this.inFlight.delete(item);
        this.retryOrFail(item, err);
        this.checkDrained();
      },
    );
  }

  private retryOrFail(item: Outgoing, err: unknown): void {
    const failure = classify(err);
    this.noteFailure(item, failure, err);
    if (mayHaveLanded(failure)) item.uncertain = true;
    const now = Date.now();
    const deadline = this.deadlineOf(item);
    if (!this.open || failure === "permanent" || now >= deadline) {
      this.fail(item, this.failureMessage(item, now));
      return;
    }
    // The last try starts at the deadline at the latest: no event fails before its budget.
    item.readyAt = now + Math.min(retryDelayMs(item.tries), deadline - now);
    this.queue(item, failure);
  }

  /** Back in the outbox at its place by emit order, with a timer of its own. */
  private queue(item: Outgoing, why: TryFailure): void {
    item.state = "queued";
    let i = this.outbox.length;
    while (i > 0 && this.outbox[i - 1]!.seq > item.seq) i--;
    this.outbox.splice(i, 0, item);
    const now = Date.now();
    // Waiting for a connection: the reconnect sends it; the timer only enforces the budget.
    const at = why === "disconnected" && item.readyAt <= now ? this.deadlineOf(item) : item.readyAt;
    this.arm(item, at - now);
  }

  private arm(item: Outgoing, ms: number): void {
    item.timer = setTimeout(() => this.due(item), Math.max(0, ms));
    item.timer.unref();
  }

  private due(item: Outgoing): void {
    item.timer = null;
    if (item.state !== "queued") return;
    const now = Date.now();
    if (this.open && this.isConnected()) {
      this.outbox.splice(this.outbox.indexOf(item), 1);
      this.send(item);
    } else if (now >= this.deadlineOf(item)) {
      this.outbox.splice(this.outbox.indexOf(item), 1);
      if (item.failure === null) this.noteFailure(item, "disconnected", undefined);
      this.fail(item, this.failureMessage(item, now));
    } else {
      this.arm(item, this.deadlineOf(item) - now);
    }
  }

  /**
   * When no new try starts. An event that one try may have stored (its ack was lost: a timeout,
   * or the connection dropped under it) gets a second budget: only a later ack tells whether the
   * stream holds it (the resend then comes back a duplicate), and failing it unknown would report
   * as lost an event that the other buses receive.
   */
  private deadlineOf(item: Outgoing): number {
    return item.uncertain ? item.deadline + this.config.publishRetryMs : item.deadline;
  }

  private noteFailure(item: Outgoing, failure: TryFailure, err: unknown): void {
    item.failure = failure;
    if (err !== undefined) item.lastError = err;
  }

  private failureMessage(item: Outgoing, now: number): string {
    const stream = this.config.stream ?? "(core NATS)";
    const what = describeFailure(item.failure ?? "other", item.lastError, stream, this.config.publishTimeoutMs);
    const tries = item.tries === 1 ? "1 try" : `${item.tries} tries`;
    const spent = ((now - (item.deadline - this.config.publishRetryMs)) / 1000).toFixed(1);
    const landed = item.uncertain ? "; an earlier try's ack was lost, so the stream may hold it" : "";
    const retried =
      item.failure === "permanent" || !this.open
        ? ""
        : `: retried for ${spent} s (publishRetryMs ${this.config.publishRetryMs})`;
    return `publish of event ${item.eventId} to ${item.subject} failed after ${tries}: ${what}${retried}${landed}`;
  }

  private fail(item: Outgoing, message: string): void {
    this.settle(item, new TransportError(message, item.lastError === undefined ? {} : { cause: item.lastError }));
  }

  private settle(item: Outgoing, error: TransportError | null): void {
    if (item.state === "done") return;
    if (item.state === "queued") {
      const at = this.outbox.indexOf(item);
      if (at >= 0) this.outbox.splice(at, 1);
    }
    item.state = "done";
    this.inFlight.delete(item);
    if (item.timer !== null) clearTimeout(item.timer);
    item.timer = null;
    if (error === null) item.resolve();
    else item.reject(error);
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.inFlight.size === 0 && this.drained !== null) {
      this.drained();
      this.drained = null;
    }
  }
}
