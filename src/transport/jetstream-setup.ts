/**
 * Creating the stream and the consumer idempotently: several processes start at once, and a
 * durable that exists already is resumed as it is (its position is the point of it).
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from "@nats-io/jetstream";
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
 * operator's decision), with a warning when they differ from `replicas`. Returns the stream's
 * last sequence (0 for a new stream): what was published before this bridge started.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  o: ResolvedNatsOptions,
  warn: (message: string) => void,
): Promise<number> {
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
      return info.state.last_seq;
    } catch (err) {
      if (!isApiError(err, STREAM_NOT_FOUND)) throw err;
      // Still missing after our create failed: that failure is the news (e.g. too few servers for the replicas).
      if (attempt > 0)
        throw new Error(`cannot create stream ${stream} (replicas: ${o.replicas}): ${String(addError)}`, {
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
      return 0;
    } catch (err) {
      addError = err; // another process may have created it meanwhile: look again (once)
    }
  }
}

/** The consumer the bridge takes its messages from. */
export interface ConsumerHandle {
  readonly name: string;
  /**
   * The stream sequence the consumer stood at when found or made: with nothing delivered yet
   * (a new consumer), where it starts (at "new", the stream's last); else its ack floor (it may
   * have delivered more, acked or not, above it: a consumer made again from there hands those
   * out again, and the dedupe window drops what was handled).
   */
  readonly position: number;
  /** The consumer's own limit on a pull's batch (a durable made elsewhere may set one), if any. */
  readonly maxBatch: number | undefined;
  /** The consumer's own limit on a pull's expiry in ms, if any. */
  readonly maxExpiresMs: number | undefined;
}

function handleOf(info: ConsumerInfo): ConsumerHandle {
  const maxExpires = info.config.max_expires ?? 0;
  return {
    name: info.name,
    position: info.delivered.consumer_seq === 0 ? info.delivered.stream_seq : info.ack_floor.stream_seq,
    maxBatch: (info.config.max_batch ?? 0) > 0 ? info.config.max_batch : undefined,
    maxExpiresMs: maxExpires > 0 ? maxExpires / 1_000_000 : undefined,
  };
}

function consumerConfig(filter: string, o: ResolvedNatsOptions): Partial<ConsumerConfig> {
  return {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: o.startAt === "first" ? DeliverPolicy.All : DeliverPolicy.New,
    filter_subject: filter,
    max_ack_pending: o.maxAckPending,
    ack_wait: nanos(o.ackWaitMs),
    // Without a durable: the server removes the consumer after this much inactivity (a bridge
    // cut off for longer makes a new one where this one stopped, see recreateConsumer).
    ...(o.durable === null
      ? { inactive_threshold: nanos(Math.max(30_000, o.ackWaitMs)) }
      : { durable_name: o.durable }),
  };
}

/**
 * Makes sure the consumer exists. A durable is created at `startAt` when missing and resumed when
 * present; without a durable, an ephemeral consumer is created that the server removes after
 * `ackWaitMs` (at least 30 s) of inactivity.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  o: ResolvedNatsOptions,
  warn: (message: string) => void,
): Promise<ConsumerHandle> {
  const config = consumerConfig(filter, o);
  const ackWait = nanos(o.ackWaitMs);
  if (o.durable === null) return handleOf(await jsm.consumers.add(stream, config));
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.consumers.info(stream, o.durable);
      if ((info.config.filter_subject ?? "") !== filter) {
        // nats-server 2.9 cannot change a consumer's filter: say so rather than miss events quietly.
        warn(
          `durable ${o.durable} filters ${JSON.stringify(info.config.filter_subject ?? "")}, not ${JSON.stringify(filter)}: it is resumed as it is; delete it to apply the new imports`,
        );
      }
      if (info.config.max_ack_pending !== o.maxAckPending || info.config.ack_wait !== ackWait) {
        return handleOf(
          await jsm.consumers.update(stream, o.durable, { max_ack_pending: o.maxAckPending, ack_wait: ackWait }),
        );
      }
      return handleOf(info);
    } catch (err) {
      if (!isApiError(err, CONSUMER_NOT_FOUND) || attempt > 0) throw err;
    }
    try {
      return handleOf(await jsm.consumers.add(stream, config));
    } catch {
      // created by another process meanwhile: resume it (once)
    }
  }
}

/**
 * Whether the server still has consumer `name`: false only when it says it has not (an
 * unanswered question, while a stream has no leader, counts as yes).
 */
export async function consumerExists(jsm: JetStreamManager, stream: string, name: string): Promise<boolean> {
  try {
    await jsm.consumers.info(stream, name);
    return true;
  } catch (err) {
    return !isApiError(err, CONSUMER_NOT_FOUND);
  }
}

/**
 * Makes the consumer again after the server lost it (an ephemeral one removed while the bridge
 * was cut off for longer than its inactivity threshold, or a durable deleted by hand), starting
 * at stream sequence `from`: nothing stored meanwhile is missed.
 */
export async function recreateConsumer(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  o: ResolvedNatsOptions,
  from: number,
): Promise<ConsumerHandle> {
  return handleOf(
    await jsm.consumers.add(stream, {
      ...consumerConfig(filter, o),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, from),
    }),
  );
}
