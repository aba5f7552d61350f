/**
 * The NATS (JetStream) bridge: the `@neurectomy/event-bus/nats` entry point (docs/nats.md).
 * Only this entry imports the NATS client, an optional peer dependency of the package.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { BridgeHost, BridgeLink, BusTransport } from "../bus/bridge.js";
import { TransportError } from "../errors.js";
import { ensureConsumer, ensureStream } from "./jetstream-setup.js";
import { JetStreamIntake, SETUP_TIMEOUT_MS } from "./jetstream-intake.js";
import { NatsLink } from "./nats-link.js";
import { resolveNatsOptions, type NatsTransportOptions, type ResolvedNatsOptions } from "./nats-options.js";
import { PipelinedAcks } from "./pipelined-acks.js";
import { Publisher } from "./publisher.js";
import { originHeaders } from "./wire-headers.js";
import { importSubjects } from "./subjects.js";
import { textOf } from "../describe-input.js";
import { eventId } from "../event-id.js";

export type { NatsTransportOptions } from "./nats-options.js";
export type { BridgeState } from "../stats/report.js";
export type { Bridge, BridgeHost, BridgeLink, BridgeStats, BusTransport, LocalEmitOutcome } from "../bus/bridge.js";
export { ORIGIN_HEADER } from "./wire-headers.js";
export { importSubjects, patternToSubject, subjectCovers } from "./subjects.js";

/**
 * Carries a bus's events over NATS: with `stream`, through JetStream (durable, effectively once);
 * without, over core NATS (at-most-once).
 *
 * @example
 * ```ts
 * import { EventBus } from "@neurectomy/event-bus";
 * import { NatsTransport } from "@neurectomy/event-bus/nats";
 * const bus = new EventBus({ nodeId: "orders-1" });
 * const bridge = await bus.bridge(new NatsTransport({
 *   servers: "127.0.0.1:4222", prefix: "neuro", stream: "NEURO", durable: "orders", export: ["task.*"],
 * }));
 * await bridge.close();
 * ```
 */
export class NatsTransport implements BusTransport {
  readonly options: ResolvedNatsOptions;

  /** @throws InvalidOptionsError for a bad option or pattern. */
  constructor(options: NatsTransportOptions) {
    this.options = resolveNatsOptions(options);
  }

  async attach(host: BridgeHost): Promise<BridgeLink> {
    const o = this.options;
    let nc: NatsConnection;
    try {
      nc = await connect({
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Otherwise every JetStream publish (a request) builds two Errors for their stack traces:
        // a large share of a CPU profile of bench/nats.ts. Pass `connection: { noAsyncTraces: false }` to debug.
        noAsyncTraces: true,
        name: `neurectomy-bus:${host.nodeId}`,
        ...o.connection,
        servers: o.servers,
        // Core NATS: the server does not send this connection its own publishes.
        noEcho: o.stream === null,
      });
    } catch (err) {
      throw new TransportError(`cannot connect to NATS at ${String(o.servers)}: ${textOf(err)}`, { cause: err });
    }
    try {
      return await this.start(host, nc);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err instanceof TransportError
        ? err
        : new TransportError(`NATS bridge setup failed: ${textOf(err)}`, { cause: err });
    }
  }

  private async start(host: BridgeHost, nc: NatsConnection): Promise<NatsLink> {
    const o = this.options;
    const js = o.stream === null ? null : new PipelinedAcks(nc, o.publishTimeoutMs, o.connection.inboxPrefix);
    const origin = originHeaders(host.nodeId);
    const linkId = eventId();
    const config = {
      stream: o.stream,
      nodeId: host.nodeId,
      linkId,
      maxBuffered: o.maxBuffered,
      publishTimeoutMs: o.publishTimeoutMs,
      publishRetryMs: o.publishRetryMs,
    };
    const link = new NatsLink(
      host,
      nc,
      o,
      linkId,
      (counters, isConnected) => new Publisher({ nc, js, originHeaders: origin, config, counters, isConnected }),
    );
    try {
      await this.subscribe(host, nc, link);
    } catch (err) {
      // Closed by attach() next: that is no loss of a running connection to report.
      link.state = "closed";
      throw err;
    }
    link.state = "connected";
    return link;
  }

  /** The stream, and the consumer or core subscriptions the imports need. */
  private async subscribe(host: BridgeHost, nc: NatsConnection, link: NatsLink): Promise<void> {
    const o = this.options;
    const warn = (message: string): void => host.logger?.warn?.({ nodeId: host.nodeId }, message);
    const subjects = importSubjects(o.prefix, o.imports);
    if (subjects.length === 0) {
      // export-only: nothing to receive, so no consumer or subscription
      if (o.stream !== null)
        await ensureStream(
          await jetstreamManager(nc, { timeout: SETUP_TIMEOUT_MS }),
          o.stream,
          `${o.prefix}.>`,
          o,
          warn,
        );
    } else if (o.stream === null) {
      link.subscribeCore(subjects);
      await nc.flush();
    } else {
      const jsm = await jetstreamManager(nc, { timeout: SETUP_TIMEOUT_MS });
      const publishedBefore = await ensureStream(jsm, o.stream, `${o.prefix}.>`, o, warn);
      // nats-server 2.9 takes one filter subject: several imports share the prefix's `.>`.
      const filter = subjects.length === 1 ? subjects[0]! : `${o.prefix}.>`;
      const consumer = await ensureConsumer(jsm, o.stream, filter, o, warn);
      link.startsAfter(publishedBefore);
      const intake = await JetStreamIntake.start({
        nc,
        jsm,
        stream: o.stream,
        filter,
        options: o,
        consumer,
        deliver: (msg) => link.onJetStream(msg),
        report: (error) => host.reportError(error),
      });
      link.useIntake(intake);
    }
  }
}
