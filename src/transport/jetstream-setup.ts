/**
 * Creating the stream and the consumer idempotently: several processes start at once, and a
 * durable that exists already is resumed as it is (its position is the point of it).
 */
import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import type { ResolvedNatsOptions } from "./nats-options.js";
import { subjectCovers } from "./subjects.js";

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

const nanos = (ms: number): number => ms * 1_000_000;

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/**
 * Makes sure `stream` exists and stores `${prefix}.>`; adds that subject to an existing stream.
 * A stream that exists keeps its replicas (changing them moves data between servers: an
 * operator's decision), with a warning when they differ from `replicas`.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  o: ResolvedNatsOptions,
  warn: (message: string) => void,
): Promise<void> {
  let addError: unknown = null;
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.streams.info(stream);
      const subjects = info.config.subjects ?? [];
      const replicas = info.config.num_replicas || 1;
      if (replicas !== o.replicas) {
        warn(
          `stream ${stream} exists with ${replicas} replica(s), not the ${o.replicas} asked for: it is used as it is; change it with \`nats stream edit ${stream} --replicas ${o.replicas}\``,
        );
      }
      if (!subjects.some((s) => subjectCovers(s, subject))) {
        await jsm.streams.update(stream, { ...info.config, subjects: [...subjects, subject] });
      }
      return;
    } catch (err) {
      if (!isApiError(err, STREAM_NOT_FOUND)) throw err;
      // Still missing after our create failed: that failure is the news (e.g. too few servers for the replicas).
      if (attempt > 0)
        throw new Error(`cannot create stream ${stream} with ${o.replicas} replica(s): ${String(addError)}`, {
          cause: addError,
        });
    }
    try {
      await jsm.streams.add({
        name: stream,
        subjects: [subject],
        duplicate_window: nanos(o.duplicateWindowMs),
        num_replicas: o.replicas,
      });
      return;
    } catch (err) {
      addError = err; // another process may have created it meanwhile: look again (once)
    }
  }
}

/**
 * Makes sure the consumer exists and returns its name. A durable is created at `startAt` when
 * missing and resumed when present; without a durable, an ephemeral consumer is created that the
 * server removes after `ackWaitMs` (at least 30 s) of inactivity.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  o: ResolvedNatsOptions,
  warn: (message: string) => void,
): Promise<string> {
  const config = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: o.startAt === "first" ? DeliverPolicy.All : DeliverPolicy.New,
    filter_subject: filter,
    max_ack_pending: o.maxAckPending,
    ack_wait: nanos(o.ackWaitMs),
  };
  if (o.durable === null) {
    const info = await jsm.consumers.add(stream, {
      ...config,
      inactive_threshold: nanos(Math.max(30_000, o.ackWaitMs)),
    });
    return info.name;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.consumers.info(stream, o.durable);
      if ((info.config.filter_subject ?? "") !== filter) {
        // nats-server 2.9 cannot change a consumer's filter: say so rather than miss events quietly.
        warn(
          `durable ${o.durable} filters ${JSON.stringify(info.config.filter_subject ?? "")}, not ${JSON.stringify(filter)}: it is resumed as it is; delete it to apply the new imports`,
        );
      }
      if (info.config.max_ack_pending !== o.maxAckPending || info.config.ack_wait !== config.ack_wait) {
        await jsm.consumers.update(stream, o.durable, { max_ack_pending: o.maxAckPending, ack_wait: config.ack_wait });
      }
      return o.durable;
    } catch (err) {
      if (!isApiError(err, CONSUMER_NOT_FOUND) || attempt > 0) throw err;
    }
    try {
      await jsm.consumers.add(stream, { ...config, durable_name: o.durable });
      return o.durable;
    } catch {
      // created by another process meanwhile: resume it (once)
    }
  }
}
