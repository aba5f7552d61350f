/**
 * A running NATS bridge: the connection's state, the incoming half, and close().
 *
 * Incoming, for each message (JetStream or core), in arrival order:
 *   JetStream, this node's own publish? ──► ack, drop (JetStream delivers a node its own
 *     publishes: this bridge's by its Neuro-Link id; an earlier run's, stored before this bridge
 *     started, by its Neuro-Origin nodeId)
 *   closing? ──► nak (the server hands it out again)
 *   too large / not JSON / not an EventDict / subject != prefix.event_type ──► count invalid,
 *     report (EBUS_TRANSPORT), ack and drop: a bad message is never redelivered forever
 *   not imported (the local match finishes what the subject filter could not say) ──► ack, drop
 *   id seen lately ──► count duplicate, ack once the first delivery has settled
 *   else ──► host.dispatchRemote(event), synchronously (so handlers start in arrival order);
 *     ack when every handler has settled, nak when close({ timeoutMs }) cut one (redelivered:
 *     at least once, as the cut handler may still finish). The server sends no more than maxAckPending unacked messages, so a slow
 *     handler slows the consumer instead of filling memory.
 * Nothing a message holds may throw out of here: the client's pull loop would end for good.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection, Subscription as NatsSubscription } from "@nats-io/transport-node";
import type { BridgeHost, BridgeLink, BridgeStats, LocalEmitOutcome } from "../bus/bridge.js";
import type { EmitResult } from "../bus/emit-state.js";
import type { BridgeState } from "../stats/report.js";
import { TransportError } from "../errors.js";
import { Event } from "../event.js";
import { parsePattern } from "../pattern/grammar.js";
import { TopicTrie } from "../pattern/trie.js";
import { within } from "../deadline.js";
import type { ResolvedNatsOptions } from "./nats-options.js";
import type { Publisher, PublisherCounters } from "./publisher.js";
import { LINK_HEADER, ORIGIN_HEADER } from "./wire-headers.js";
import type { JetStreamIntake } from "./jetstream-intake.js";
import { RecentIds, SETTLED } from "./recent-ids.js";
import { subjectCovers } from "./subjects.js";
import { textOf } from "../describe-input.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Whether `patterns` let an event type through; `*` (the default) lets all through with no lookup. */
function patternSet(patterns: readonly string[]): (eventType: string) => boolean {
  if (patterns.includes("*")) return () => true;
  const trie = new TopicTrie<{ seq: number }>();
  patterns.forEach((p, seq) => trie.add(parsePattern(p), { seq }));
  return (eventType) => trie.match(eventType).length > 0;
}

/** How a message is acknowledged: JetStream acks and naks; core NATS does neither. */
interface Acker {
  ack(): void;
  nak(): void;
}
const NO_ACK: Acker = { ack: () => undefined, nak: () => undefined };

/** Whether close({ timeoutMs }) failed a delivery of this dispatch before it finished (EBUS_CLOSED). */
function cutByClose(result: EmitResult): boolean {
  return result.failed > 0 && result.errors.some((error) => error.code === "EBUS_CLOSED");
}

/** What a core `Msg` and a `JsMsg` have in common. */
interface WireMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs | undefined;
}

export class NatsLink implements BridgeLink {
  state: BridgeState = "connecting";
  readonly counters: PublisherCounters & { received: number; invalid: number; dropped: number } = {
    published: 0,
    received: 0,
    duplicates: 0,
    invalid: 0,
    dropped: 0,
    retries: 0,
  };
  readonly publisher: Publisher;
  private readonly exported: (eventType: string) => boolean;
  private readonly imported: (eventType: string) => boolean;
  private readonly recent: RecentIds;
  /** Remote events being dispatched (handlers not all settled), and who waits for none. */
  private dispatching = 0;
  private idle: (() => void) | null = null;
  private readonly maxEventBytes: number;
  /** Whether this node exports anything (so JetStream may hand it its own events). */
  private readonly publishes: boolean;
  private intake: JetStreamIntake | null = null;
  /** The stream's last sequence when this bridge started: this node's publishes up to it are an earlier run's. */
  private publishedBefore = 0;
  private readonly subscriptions: NatsSubscription[] = [];
  private closing: Promise<void> | null = null;
  /** subjectOf()'s memo. */
  private lastType = "";
  private lastSubject = "";

  constructor(
    private readonly host: BridgeHost,
    private readonly nc: NatsConnection,
    readonly options: ResolvedNatsOptions,
    /** This bridge's id: JetStream messages with it in their Neuro-Link header are its own. */
    private readonly linkId: string,
    publisher: (counters: PublisherCounters, isConnected: () => boolean) => Publisher,
  ) {
    this.exported = patternSet(options.exports);
    this.publishes = options.exports.length > 0;
    this.imported = patternSet(options.imports);
    this.recent = new RecentIds(options.dedupeWindow);
    this.maxEventBytes = options.maxEventBytes ?? nc.info?.max_payload ?? 1024 * 1024;
    this.publisher = publisher(this.counters, () => this.state === "connected");
    void this.watchStatus();
    void nc.closed().then((err) => this.onConnectionClosed(err));
  }

  get nodeId(): string {
    return this.host.nodeId;
  }

  stats(): BridgeStats {
    const { published, received, duplicates, invalid, dropped, retries } = this.counters;
    return { state: this.state, published, received, duplicates, invalid, dropped, retries };
  }

  onLocalEmit(event: Event): LocalEmitOutcome {
    if (this.closing !== null || !this.exported(event.eventType)) return "skipped";
    // A remote event that a handler emits again later (outside its dispatch) stays here too.
    if (this.recent.get(event.eventId) !== undefined) return "skipped";
    if (this.state === "closed") {
      // The connection gave up (maxReconnectAttempts) without close(): say so on every emit.
      return Promise.reject(new TransportError(`NATS connection closed: event ${event.eventId} not published`));
    }
    let payload: Uint8Array;
    try {
      // Buffer.from, not TextEncoder: the same UTF-8 bytes, from Node's pooled allocator, several
      // times cheaper for a string of a few hundred bytes (the encode was the largest item of the
      // bridge's own publish in a CPU profile of bench/nats.ts, core bridge).
      payload = Buffer.from(JSON.stringify(event));
    } catch (err) {
      return Promise.reject(
        new TransportError(`event ${event.eventId} cannot be encoded as JSON: ${textOf(err)}`, { cause: err }),
      );
    }
    if (payload.length > this.maxEventBytes) {
      return Promise.reject(
        new TransportError(
          `event ${event.eventId} is ${payload.length} bytes, over maxEventBytes ${this.maxEventBytes}`,
        ),
      );
    }
    try {
      return this.publisher.publish(this.subjectOf(event.eventType), payload, event.eventId);
    } catch (err) {
      return Promise.reject(
        new TransportError(`publish of event ${event.eventId} failed: ${textOf(err)}`, { cause: err }),
      );
    }
  }

  /**
   * `<prefix>.<eventType>`, kept for the last type: events of one type come in runs, and a subject
   * built per publish is a new string that the client's subject check flattens again each time.
   */
  private subjectOf(eventType: string): string {
    if (eventType !== this.lastType) {
      this.lastType = eventType;
      this.lastSubject = `${this.options.prefix}.${eventType}`;
    }
    return this.lastSubject;
  }

  /** JetStream: messages of this nodeId stored up to `sequence` were published before this bridge started. */
  startsAfter(sequence: number): void {
    this.publishedBefore = sequence;
  }

  /** JetStream: the intake that hands messages to onJetStream (stopped by close()). */
  useIntake(intake: JetStreamIntake): void {
    this.intake = intake;
  }

  /**
   * Core NATS: one subscription per import subject. Subjects that overlap without either covering
   * the other (`p.task.>` and `p.*.failed` both take `p.task.failed`) each get a copy of such a
   * message: the copy of a later subscription is dropped when an earlier one's subject takes it.
   */
  subscribeCore(subjects: readonly string[]): void {
    subjects.forEach((subject, k) => {
      const earlier = subjects.slice(0, k);
      this.subscriptions.push(
        this.nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err !== null)
              this.host.reportError(
                new TransportError(`subscription to ${subject} failed: ${err.message}`, { cause: err }),
              );
            else if (k === 0 || !earlier.some((other) => subjectCovers(other, msg.subject))) this.receive(msg, NO_ACK);
          },
        }),
      );
    });
  }

  onJetStream(msg: JsMsg): void {
    try {
      // Before the closing check: an own message is done with, not to be handed out again.
      if (this.isOwn(msg)) {
        msg.ack();
        return;
      }
      this.receive(msg, msg);
    } catch (err) {
      this.host.reportError(new TransportError(`message on ${msg.subject} dropped: ${textOf(err)}`, { cause: err }));
      try {
        msg.ack();
      } catch {
        // the connection is gone: the server hands it out again
      }
    }
  }

  /**
   * Whether a JetStream message is this node's own publish: one stored before this bridge started
   * with this nodeId as its origin (an earlier run's, replayed to its durable: handled by that run
   * when it was emitted), or, on a node that publishes, this bridge's (its Neuro-Link id). Only
   * those two read the headers (a parse). A header block the client cannot read (a name with a
   * space, written by another client) is no bridge's: the message is taken as any other.
   */
  private isOwn(msg: JsMsg): boolean {
    try {
      // `msg.seq` reads the reply subject, which the intake has read already.
      if (msg.seq <= this.publishedBefore) return msg.headers?.get(ORIGIN_HEADER) === this.nodeId;
      return this.publishes && msg.headers?.get(LINK_HEADER) === this.linkId;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /**
   * A message from another node (core NATS connects with noEcho; JetStream's own were dropped by
   * onJetStream, which reads the headers only on a node that publishes: they cost a parse).
   */
  private receive(msg: WireMessage, acker: Acker): void {
    const subject = msg.subject;
    if (this.state === "closing" || this.state === "closed") {
      acker.nak(); // taken after close began: let the server hand it out again
      return;
    }
    const event = this.decode(subject, msg.data);
    if (event === null || !this.imported(event.eventType)) {
      acker.ack();
      return;
    }
    const first = this.recent.get(event.eventId);
    if (first !== undefined) {
      this.counters.duplicates++;
      void first.then(() => acker.ack());
      return;
    }
    if (acker === NO_ACK && this.dispatching >= this.options.maxInFlight) {
      this.counters.dropped++;
      this.host.reportError(
        new TransportError(
          `core NATS: ${this.dispatching} remote events in flight (maxInFlight): event ${event.eventId} dropped`,
        ),
      );
      return;
    }
    this.dispatching++;
    // Remembered before the dispatch: a synchronous handler that emits this event again (or a
    // copy with its id) must find it here, or the bridge would publish it back (onLocalEmit).
    this.recent.remember(event.eventId, SETTLED);
    // One reaction per event, no more: this is the hot path of every remote event.
    const dispatched: Promise<void> = this.host.dispatchRemote(event).then(
      (result) => {
        if (acker !== NO_ACK && cutByClose(result)) {
          // close({ timeoutMs }) gave up on a handler: not known to be handled, so let the server
          // redeliver it (at least once: the cut handler may still finish).
          this.settled();
          this.recent.forget(event.eventId);
          acker.nak();
          return;
        }
        this.counters.received++;
        acker.ack();
        if (acker !== NO_ACK) this.recent.settled(event.eventId);
        this.settled();
      },
      (err: unknown) => {
        this.settled();
        if ((err as { code?: unknown } | null)?.code === "EBUS_INVALID_EVENT") {
          // A payload that breaks a schema defined with bus.define(): invalid, acked and dropped
          // (a redelivery would break it again).
          this.counters.invalid++;
          acker.ack();
          this.host.reportError(
            new TransportError(`remote event ${event.eventId} dropped: ${textOf(err)}`, { cause: err }),
          );
          return;
        }
        // The bus closed under it: not handled here, so let the server redeliver it.
        this.recent.forget(event.eventId);
        acker.nak();
        this.host.reportError(
          new TransportError(`remote event ${event.eventId} not dispatched: ${textOf(err)}`, { cause: err }),
        );
      },
    );
    // A JetStream redelivery that arrives meanwhile is acked once this has settled. Core NATS acks
    // nothing: SETTLED stays, and spares the window a promise per event.
    if (acker !== NO_ACK) this.recent.replace(event.eventId, dispatched);
  }

  private settled(): void {
    if (--this.dispatching === 0 && this.idle !== null) {
      this.idle();
      this.idle = null;
    }
  }

  /** The event, or null after counting and reporting why it is invalid. */
  private decode(subject: string, data: Uint8Array): Event | null {
    let reason: string;
    let cause: unknown;
    if (data.length > this.maxEventBytes) {
      reason = `${data.length} bytes, over maxEventBytes ${this.maxEventBytes}`;
    } else {
      try {
        const event = Event.fromDict(JSON.parse(decoder.decode(data)));
        if (this.isSubjectOf(subject, event.eventType)) return event;
        reason = `subject does not match event_type ${JSON.stringify(event.eventType)}`;
      } catch (err) {
        cause = err;
        reason =
          err instanceof SyntaxError
            ? "not JSON"
            : err instanceof TypeError
              ? "not UTF-8"
              : String((err as Error).message);
      }
    }
    this.counters.invalid++;
    this.host.reportError(
      new TransportError(`invalid event on ${subject} dropped: ${reason}`, cause === undefined ? {} : { cause }),
    );
    return null;
  }

  /** Whether `subject` is `<prefix>.<eventType>`, compared in place (no string built per message). */
  private isSubjectOf(subject: string, eventType: string): boolean {
    const prefix = this.options.prefix;
    return (
      subject.length === prefix.length + 1 + eventType.length &&
      subject.charCodeAt(prefix.length) === 46 /* "." */ &&
      subject.startsWith(prefix) &&
      subject.endsWith(eventType)
    );
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (this.state === "closing" || this.state === "closed") continue;
      if (status.type === "disconnect") {
        this.state = "reconnecting";
        this.publisher.disconnected();
        this.host.logger?.warn?.(
          { nodeId: this.nodeId, server: status.server },
          "NATS bridge disconnected; reconnecting",
        );
      } else if (status.type === "reconnect") {
        this.state = "connected";
        this.host.logger?.info?.({ nodeId: this.nodeId, server: status.server }, "NATS bridge reconnected");
        this.publisher.pump();
      } else if (status.type === "error") {
        this.host.reportError(new TransportError(`NATS: ${status.error.message}`, { cause: status.error }));
      }
    }
  }

  private onConnectionClosed(err: void | Error): void {
    if (this.state === "closing" || this.state === "closed") return;
    this.state = "closed";
    this.host.reportError(
      new TransportError(
        `NATS connection closed${err instanceof Error ? `: ${err.message}` : ""}`,
        err instanceof Error ? { cause: err } : {},
      ),
    );
    void this.publisher.close("NATS connection closed");
  }

  private async shutdown(): Promise<void> {
    if (this.state === "closed") return;
    // The server may be gone for good: no step that needs it holds close() up longer than
    // publishTimeoutMs (the client's own timeouts are longer, or absent).
    const bounded = (work: Promise<unknown> | undefined): Promise<boolean> =>
      within(work, this.options.publishTimeoutMs);
    this.state = "closing";
    try {
      // Stop taking messages first; what still arrives is nak'ed for the server to hand out again.
      await this.intake?.stop(bounded);
      for (const sub of this.subscriptions) sub.unsubscribe();
      await this.publisher.close("the bridge closed");
      if (this.dispatching > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await this.intake?.release(bounded);
      if (!this.nc.isClosed()) await bounded(this.nc.drain());
    } catch (err) {
      this.host.reportError(new TransportError(`NATS bridge close: ${textOf(err)}`, { cause: err }));
    } finally {
      if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined);
      this.state = "closed";
    }
  }
}
