/**
 * Taking the bridge's JetStream messages: the consumer's pull, and taking it up again when it
 * stops. The client keeps pulling from a consumer the server has lost without ever receiving
 * again (an ephemeral consumer is removed after its inactivity threshold, so a bridge cut off for
 * longer lost it; a durable may be deleted by hand), and a pull the consumer refuses (a durable
 * made elsewhere with a smaller `max_batch`) stalls it the same way. So:
 *
 *   pull: batch and expiry within the consumer's own limits (read when it was found or made)
 *   heartbeats missed / consumer deleted / no responders ──► ask the server whether the consumer
 *     exists; when it says no ──► report (EBUS_TRANSPORT), make it again starting after the last
 *     stream sequence received, and consume that (nothing stored meanwhile is missed)
 *   the pull ended by itself (not by close()) ──► report, then the same
 *   a pull refused for a limit ──► reported once
 */
import { jetstream, type ConsumerMessages, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { TransportError } from "../errors.js";
import { textOf } from "../describe-input.js";
import { consumerExists, recreateConsumer, type ConsumerHandle } from "./jetstream-setup.js";
import type { ResolvedNatsOptions } from "./nats-options.js";

/** Messages the client pulls ahead of the handlers at most (never more than maxAckPending). */
const PULL_BATCH = 256;

/**
 * The pull's timing, chosen for a fast recovery after a server, a connection or the consumer's
 * leader dies. The client's defaults (a 30 s pull, 15 s heartbeats, and after a reconnect a
 * consumer-info check retried after a random 15-45 s) left a bus deaf for 38-51 s after a
 * failover although the stream had a leader again in 4-7 s. Here:
 *   - idle_heartbeat 1 s: two missed heartbeats (2 s of silence) and the pull is sent again;
 *   - expires 5 s: an idle consumer renews its pull every 5 s;
 *   - bind: after a reconnect or missed heartbeats the client pulls again at once, without the
 *     consumer-info round trip and its backoff (a pull to a leaderless consumer gets a 503 and is
 *     tried again on the next missed heartbeats; whether the consumer still exists is asked here).
 * The cost: one heartbeat a second and one pull request every 5 s per idle consumer, a few dozen
 * bytes each; nothing while messages flow.
 */
const EXPIRES_MS = 5_000;
const IDLE_HEARTBEAT_MS = 1_000;

/** Pause between attempts to make a lost consumer again. */
const RECREATE_RETRY_MS = 1_000;

/** The JetStream API calls of setup may take this long: a cluster's consumer create needs its replicas to agree. */
export const SETUP_TIMEOUT_MS = 10_000;

export interface IntakeInit {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly filter: string;
  readonly options: ResolvedNatsOptions;
  readonly consumer: ConsumerHandle;
  /** Each message, in arrival order. */
  readonly deliver: (msg: JsMsg) => void;
  readonly report: (error: TransportError) => void;
}

export class JetStreamIntake {
  /** The highest stream sequence received: a consumer made again starts after it. */
  private position: number;
  private consumer: ConsumerHandle;
  private messages: ConsumerMessages | null = null;
  private checking = false;
  private recovering = false;
  private stopped = false;
  private limitReported = false;

  private constructor(private readonly init: IntakeInit) {
    this.consumer = init.consumer;
    this.position = init.consumer.position;
  }

  static async start(init: IntakeInit): Promise<JetStreamIntake> {
    const intake = new JetStreamIntake(init);
    await intake.consume();
    return intake;
  }

  /** Stops the pull (what was taken is still acked or nak'ed through the connection). */
  async stop(bounded: (work: Promise<unknown> | undefined) => Promise<boolean>): Promise<void> {
    this.stopped = true;
    await bounded(this.messages?.close());
  }

  /** After stop() and the last ack: deletes an ephemeral consumer (a durable is kept: that is its point). */
  async release(bounded: (work: Promise<unknown> | undefined) => Promise<boolean>): Promise<void> {
    if (this.init.options.durable === null)
      await bounded(this.init.jsm.consumers.delete(this.init.stream, this.consumer.name).catch(() => false));
  }

  private async consume(): Promise<void> {
    const { nc, stream, options } = this.init;
    const c = this.consumer;
    const expires = Math.min(EXPIRES_MS, c.maxExpiresMs ?? Infinity);
    const consumer = await jetstream(nc, { timeout: SETUP_TIMEOUT_MS }).consumers.get(stream, c.name);
    const messages = await consumer.consume({
      bind: true,
      expires,
      // The server wants the heartbeat well within the pull's expiry.
      idle_heartbeat: Math.min(IDLE_HEARTBEAT_MS, Math.floor(expires / 2)),
      max_messages: Math.min(PULL_BATCH, options.maxAckPending, c.maxBatch ?? Infinity),
      callback: (msg) => {
        const seq = msg.seq;
        if (seq > this.position) this.position = seq;
        this.init.deliver(msg);
      },
    });
    if (this.stopped) {
      // close() came while this pull was being set up (a consumer being made again).
      messages.stop();
      return;
    }
    this.messages = messages;
    this.watch(messages).catch((err: unknown) =>
      this.init.report(new TransportError(`JetStream consumer status: ${textOf(err)}`, { cause: err })),
    );
  }

  private async watch(messages: ConsumerMessages): Promise<void> {
    void messages.closed().then((err) => {
      // The connection closed for good: the link reports that; there is nothing to take up again.
      if (this.stopped || this.messages !== messages || this.init.nc.isClosed()) return;
      void this.recover(`stopped taking messages${err instanceof Error ? `: ${err.message}` : ""}`, err);
    });
    for await (const status of messages.status()) {
      if (this.stopped || this.messages !== messages) return;
      if (status.type === "heartbeats_missed" || status.type === "consumer_deleted" || status.type === "no_responders")
        void this.check(messages);
      else if (status.type === "exceeded_limits" && !this.limitReported) {
        this.limitReported = true;
        this.init.report(
          new TransportError(
            `JetStream consumer ${this.consumer.name} refused a pull: ${status.description} (${status.code}); the bridge's pulls ask for at most ${PULL_BATCH} messages and ${EXPIRES_MS} ms`,
          ),
        );
      }
    }
  }

  /** Asks the server whether the consumer still exists (once at a time); makes it again if not. */
  private async check(messages: ConsumerMessages): Promise<void> {
    if (this.checking || this.recovering) return;
    this.checking = true;
    try {
      const exists = await consumerExists(this.init.jsm, this.init.stream, this.consumer.name);
      if (!exists && !this.stopped && this.messages === messages)
        await this.recover("no longer exists on the server", undefined);
    } finally {
      this.checking = false;
    }
  }

  private async recover(why: string, cause: unknown): Promise<void> {
    if (this.recovering || this.stopped) return;
    this.recovering = true;
    const old = this.messages;
    this.messages = null;
    old?.stop();
    const from = this.position + 1;
    this.init.report(
      new TransportError(
        `JetStream consumer ${this.consumer.name} ${why}: taking it up again (made again from stream sequence ${from} if the server has lost it)`,
        cause === undefined ? {} : { cause },
      ),
    );
    let reported = false;
    try {
      while (!this.stopped && !this.init.nc.isClosed()) {
        try {
          // A durable deleted by hand and made again meanwhile by another process is taken as it is.
          this.consumer = (await consumerExists(this.init.jsm, this.init.stream, this.consumer.name))
            ? this.consumer
            : await recreateConsumer(this.init.jsm, this.init.stream, this.init.filter, this.init.options, from);
          if (this.stopped) return;
          await this.consume();
          return;
        } catch (err) {
          if (!reported) {
            reported = true;
            this.init.report(
              new TransportError(`JetStream consumer not made again yet (retrying): ${textOf(err)}`, { cause: err }),
            );
          }
          await new Promise((resolve) => setTimeout(resolve, RECREATE_RETRY_MS).unref());
        }
      }
    } finally {
      this.recovering = false;
    }
  }
}
