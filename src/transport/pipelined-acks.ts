/**
 * JetStream publishes pipelined on one reply subscription, instead of one client request each.
 * The client's `js.publish()` is a request: a timer, a deferred and a subscription lookup per
 * message, and an `Error` built for its stack trace when each ack arrives (bench/nats.ts's
 * JetStream pair spends about a third less client CPU per event without them). Here every
 * publish names a reply subject under one inbox (`<inbox>.<n>`), the server's ack comes back to
 * the one subscription on `<inbox>.*`, and is matched by `n`; one timer, armed for the oldest
 * try, expires the tries whose ack did not come.
 *
 *   publish ──► HPUB subject <inbox>.n (Nats-Msg-Id) ──► stream leader stores it
 *   <inbox>.n ◄── {"stream":..,"seq":..,"duplicate"?} | {"error":{..}} | 503 status (no responders)
 *
 * Failures are the client's own error classes (TimeoutError, NoRespondersError,
 * JetStreamApiError), as `js.publish()` would raise them, so that the publisher classifies both
 * alike. Like a request, a try that timed out ignores a late ack.
 */
import { JetStreamApiError, type ApiError } from "@nats-io/jetstream";
import {
  createInbox,
  errors as natsErrors,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { MSG_ID_HEADER } from "./wire-headers.js";

/** What the publisher needs to publish to a stream: one try, its ack or its failure (`JetStreamClient` fits too). */
export interface JetStreamPublish {
  publish(
    subject: string,
    payload: Uint8Array,
    options: { msgID: string; headers: MsgHdrs },
  ): Promise<{ duplicate: boolean }>;
}

interface Waiting {
  readonly subject: string;
  /** performance.now() past which the try has timed out. */
  readonly expires: number;
  resolve(ack: { duplicate: boolean }): void;
  reject(error: Error): void;
}

const decoder = new TextDecoder();

export class PipelinedAcks implements JetStreamPublish {
  private readonly inbox: string;
  private readonly replies: Subscription;
  /** Tries awaiting their ack, by reply token, in send order (so in expiry order: one timeout for all). */
  private readonly waiting = new Map<number, Waiting>();
  private next = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly nc: NatsConnection,
    /** Every try's wait for its ack. */
    private readonly timeoutMs: number,
    inboxPrefix?: string,
  ) {
    this.inbox = createInbox(inboxPrefix);
    this.replies = nc.subscribe(`${this.inbox}.*`, {
      callback: (err, msg) => (err === null ? this.onReply(msg) : this.failAll(err)),
    });
    // The connection closed for good (or the subscription ended): no ack will come.
    void this.replies.closed.then(() => this.failAll(new natsErrors.ClosedConnectionError()));
  }

  /**
   * Sends one try; rejects with the client's error classes (see above). The wait is the pipeline's
   * `timeoutMs` for every try, so tries expire in send order.
   */
  publish(
    subject: string,
    payload: Uint8Array,
    options: { msgID: string; headers: MsgHdrs },
  ): Promise<{ duplicate: boolean }> {
    options.headers.set(MSG_ID_HEADER, options.msgID);
    const token = ++this.next;
    return new Promise((resolve, reject) => {
      // Throws (into a rejection) on a closed or draining connection, or a payload over max_payload.
      this.nc.publish(subject, payload, { reply: `${this.inbox}.${token}`, headers: options.headers });
      this.waiting.set(token, { subject, expires: performance.now() + this.timeoutMs, resolve, reject });
      if (this.timer === null) this.arm(this.timeoutMs);
    });
  }

  private onReply(msg: Msg): void {
    const subject = msg.subject;
    const token = Number(subject.slice(this.inbox.length + 1));
    const waiting = this.waiting.get(token);
    if (waiting === undefined) return; // timed out already
    this.waiting.delete(token);
    const data = msg.data;
    if (data.length === 0) {
      const code = msg.headers?.code;
      waiting.reject(
        code === 503
          ? new natsErrors.NoRespondersError(waiting.subject)
          : new Error(`JetStream publish to ${waiting.subject}: empty reply (status ${String(code)})`),
      );
      return;
    }
    let ack: { stream?: unknown; duplicate?: unknown; error?: ApiError };
    try {
      ack = JSON.parse(decoder.decode(data)) as typeof ack;
    } catch (err) {
      waiting.reject(err as Error);
      return;
    }
    if (ack.error !== undefined) waiting.reject(new JetStreamApiError(ack.error));
    else if (typeof ack.stream !== "string" || ack.stream === "")
      waiting.reject(new Error(`JetStream publish to ${waiting.subject}: invalid ack response`));
    else waiting.resolve({ duplicate: ack.duplicate === true });
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, ms));
    this.timer.unref();
  }

  /** Fails the tries past their wait, oldest first, and re-arms for the oldest left. */
  private expire(): void {
    this.timer = null;
    const now = performance.now();
    for (const [token, waiting] of this.waiting) {
      if (waiting.expires > now) {
        this.arm(waiting.expires - now);
        return;
      }
      this.waiting.delete(token);
      waiting.reject(new natsErrors.TimeoutError());
    }
  }

  private failAll(error: Error): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiting of all) waiting.reject(error);
  }
}
