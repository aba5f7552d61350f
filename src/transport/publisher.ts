/**
 * The outgoing half of the NATS bridge: local events to subjects, without losing one silently.
 *
 *   onLocalEmit ──► connected and nothing queued? ──yes──► send now
 *                          │ no
 *                          ▼
 *                  outbox (FIFO by emit order, bounded by maxBuffered with the sends in flight)
 *                          │ on reconnect: pump()
 *                          ▼
 *     core NATS: nc.publish, done.   JetStream: js.publish with msgID = event id, wait for the
 *     ack; a timeout or lost connection puts the event back in the outbox at its place and it is
 *     sent again (the stream's duplicate window drops a second copy). An error the server gave
 *     (no stream, too large...), too many tries while connected, or close() rejects the emit's
 *     promise: the EmitResult shows it as an EBUS_TRANSPORT failure.
 */
import { JetStreamApiError, type JetStreamClient } from "@nats-io/jetstream";
import { errors as natsErrors, headers as natsHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { TransportError } from "../errors.js";

export const ORIGIN_HEADER = "Neuro-Origin";
/**
 * Tries of one JetStream publish while the connection is up (timeouts, or JetStream not ready yet
 * after a server restart), with a doubling pause between them: about 5 s in all.
 */
const MAX_CONNECTED_TRIES = 8;
const retryDelayMs = (tries: number): number => Math.min(1000, 50 * 2 ** tries);

export interface Outgoing {
  readonly seq: number;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly eventId: string;
  tries: number;
  resolve(): void;
  reject(error: Error): void;
}

export interface PublisherCounters {
  published: number;
  duplicates: number;
}

/** Errors after which sending the same message again cannot help. */
function isPermanent(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError ||
    err instanceof natsErrors.InvalidArgumentError ||
    err instanceof natsErrors.ClosedConnectionError ||
    err instanceof natsErrors.DrainingConnectionError ||
    err instanceof natsErrors.PermissionViolationError
  );
}

export class Publisher {
  private readonly outbox: Outgoing[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private seq = 0;
  /** False once closing: what is queued fails, nothing new is queued. */
  private open = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient | null,
    private readonly originHeaders: MsgHdrs,
    private readonly nodeId: string,
    private readonly maxBuffered: number,
    private readonly publishTimeoutMs: number,
    private readonly counters: PublisherCounters,
    private readonly isConnected: () => boolean,
  ) {}

  /** Events queued or awaiting a JetStream ack. */
  get pending(): number {
    return this.outbox.length + this.inFlight.size;
  }

  /** Publishes `payload`; "sent" when core NATS took it at once, else a promise of the outcome. */
  publish(subject: string, payload: Uint8Array, eventId: string): "sent" | Promise<void> {
    if (this.js === null && this.outbox.length === 0 && this.isConnected()) {
      this.nc.publish(subject, payload, { headers: this.originHeaders });
      this.counters.published++;
      return "sent";
    }
    if (this.pending >= this.maxBuffered) {
      return Promise.reject(new TransportError(`publish buffer full (maxBuffered ${this.maxBuffered}): event ${eventId} not sent`));
    }
    return new Promise<void>((resolve, reject) => {
      const item: Outgoing = { seq: this.seq++, subject, payload, eventId, tries: 0, resolve, reject };
      if (this.outbox.length === 0 && this.isConnected()) this.send(item);
      else this.outbox.push(item);
    });
  }

  /** Sends what waited for a connection, in emit order. */
  pump(): void {
    while (this.open && this.outbox.length > 0 && this.isConnected()) this.send(this.outbox.shift()!);
  }

  /** Fails everything queued; waits for the JetStream publishes already in flight. */
  async close(reason: string): Promise<void> {
    this.open = false;
    for (const item of this.outbox.splice(0)) item.reject(new TransportError(`${reason}: event ${item.eventId} not sent`));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    for (const item of this.outbox.splice(0)) item.reject(new TransportError(`${reason}: event ${item.eventId} not sent`));
  }

  private send(item: Outgoing): void {
    if (this.js === null) {
      try {
        this.nc.publish(item.subject, item.payload, { headers: this.originHeaders });
        this.counters.published++;
        item.resolve();
      } catch (err) {
        item.reject(new TransportError(`publish of event ${item.eventId} failed: ${String(err)}`, { cause: err }));
      }
      return;
    }
    item.tries++;
    // A fresh header set per message: js.publish writes the message id into the one it is given.
    const hdrs = natsHeaders();
    hdrs.set(ORIGIN_HEADER, this.nodeId);
    const sending: Promise<void> = this.js.publish(item.subject, item.payload, { msgID: item.eventId, headers: hdrs, timeout: this.publishTimeoutMs }).then(
      (ack) => {
        this.inFlight.delete(sending);
        this.counters.published++;
        if (ack.duplicate) this.counters.duplicates++;
        item.resolve();
      },
      (err: unknown) => {
        this.inFlight.delete(sending);
        this.retryOrFail(item, err);
      },
    );
    this.inFlight.add(sending);
  }

  private retryOrFail(item: Outgoing, err: unknown): void {
    const connected = this.isConnected();
    if (!this.open || isPermanent(err) || (connected && item.tries >= MAX_CONNECTED_TRIES)) {
      item.reject(new TransportError(`publish of event ${item.eventId} to ${item.subject} failed after ${item.tries} tries: ${String(err)}`, { cause: err }));
      return;
    }
    if (!connected) item.tries--; // tries while disconnected do not count: the reconnect pumps it
    // Back at its place by emit order: earlier events go first when the outbox is sent.
    let i = 0;
    while (i < this.outbox.length && this.outbox[i]!.seq < item.seq) i++;
    this.outbox.splice(i, 0, item);
    // Still connected (a timeout, or JetStream not ready after a restart): try again shortly.
    if (connected) setTimeout(() => this.pump(), retryDelayMs(item.tries)).unref();
  }
}
