/**
 * NatsTransport options and their zod schema (strict: a misspelt option is an error).
 */
import type { NodeConnectionOptions } from "@nats-io/transport-node";
import { z } from "zod";
import { InvalidOptionsError } from "../errors.js";
import { eventTypeRule, parsePattern } from "../pattern/grammar.js";
import { MAX_TIMER_MS, MAX_TIMER_RULE } from "../deadline.js";

export interface NatsTransportOptions {
  /** NATS server URL(s), e.g. `"127.0.0.1:4222"` or `["nats://a:4222", "nats://b:4222"]`. */
  servers: string | string[];
  /** Subject prefix: an event of type `t` travels on `${prefix}.${t}`. The bridge owns the prefix. */
  prefix: string;
  /** JetStream stream (created idempotently, subjects `${prefix}.>`). Omit for core NATS: at-most-once. */
  stream?: string;
  /** Durable consumer name: resume after a restart. Buses that share one split its events between them. */
  durable?: string;
  /** Local patterns whose events leave the process. Default `"*"`; `[]` publishes nothing. */
  export?: string | string[];
  /** Remote patterns delivered locally. Default `"*"`; `[]` receives nothing (no consumer, no subscription). */
  import?: string | string[];
  /** Where a consumer that does not exist yet starts: new messages (default) or the stream's first. */
  startAt?: "new" | "first";
  /** Unacked remote events at most (the consumer's max_ack_pending): the backpressure bound. Default 256. */
  maxAckPending?: number;
  /** Milliseconds before an unacked event is redelivered. Default 30000. */
  ackWaitMs?: number;
  /**
   * Local events waiting for a connection, a retry or a JetStream ack, at most; past it emit fails
   * (EBUS_TRANSPORT). Default 10000.
   */
  maxBuffered?: number;
  /**
   * Encoded events larger than this are refused (outgoing) or counted invalid (incoming). Default: the
   * server's max_payload.
   */
  maxEventBytes?: number;
  /** Event ids remembered to drop redeliveries. Default 10000. */
  dedupeWindow?: number;
  /** The stream's duplicate window when the bridge creates it. Default 120000 (two minutes). */
  duplicateWindowMs?: number;
  /**
   * Milliseconds to wait for one JetStream publish ack before trying again. Default 1000 (well under
   * publishRetryMs, so that a lost try leaves time for more).
   */
  publishTimeoutMs?: number;
  /**
   * Milliseconds an emit's publish may take in all, from the emit, across retries (503 while the
   * stream elects a leader, timeouts) and reconnects; then the emit fails (EBUS_TRANSPORT).
   * Default 5000. Raise it to ride out longer outages: emits wait that long.
   */
  publishRetryMs?: number;
  /**
   * Replicas of the stream when the bridge creates it (1 to 5). Default 1; use 3 on a cluster. An existing
   * stream is left as it is.
   */
  replicas?: number;
  /** Core NATS in-flight remote dispatches at most; past it, remote events are dropped and reported. Default 10000. */
  maxInFlight?: number;
  /** Passed to the NATS client's `connect` (auth, tls, name, reconnect timing...). */
  connection?: Omit<NodeConnectionOptions, "servers" | "port" | "noEcho">;
}

export interface ResolvedNatsOptions {
  servers: string | string[];
  prefix: string;
  stream: string | null;
  durable: string | null;
  exports: string[];
  imports: string[];
  startAt: "new" | "first";
  maxAckPending: number;
  ackWaitMs: number;
  maxBuffered: number;
  maxEventBytes: number | null;
  dedupeWindow: number;
  duplicateWindowMs: number;
  publishTimeoutMs: number;
  publishRetryMs: number;
  replicas: number;
  maxInFlight: number;
  connection: Omit<NodeConnectionOptions, "servers" | "port" | "noEcho">;
}

// JetStream names: no whitespace, `.`, `*`, `>`, path separators.
const jsName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s.*>/\\]+$/, "no whitespace, '.', '*', '>', '/' or '\\'");
const patterns = z.union([z.string(), z.array(z.string())]).optional();
const positiveInt = z.number().int().positive();
const SERVER_DURATION_RULE = `at most ${MAX_TIMER_MS} ms (about 24.8 days)`;
/** The largest dedupeWindow: that many ids kept in memory (recent-ids.ts, about 100 bytes each). */
const MAX_DEDUPE_WINDOW = 10_000_000;

const schema = z
  .strictObject({
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    prefix: z.string().superRefine((p, ctx) => {
      const rule = eventTypeRule(p);
      if (rule !== null) ctx.addIssue({ code: "custom", message: `not a valid subject prefix: ${rule}` });
    }),
    stream: jsName.optional(),
    durable: jsName.optional(),
    export: patterns,
    import: patterns,
    startAt: z.enum(["new", "first"]).optional(),
    maxAckPending: positiveInt.max(1_000_000).optional(),
    // Sent to the server in nanoseconds: past about 292 years they overflow its int64, and the stream
    // or consumer is refused at bridge() with "invalid JSON".
    ackWaitMs: positiveInt.max(MAX_TIMER_MS, SERVER_DURATION_RULE).optional(),
    maxBuffered: z.number().int().min(0).optional(),
    maxEventBytes: positiveInt.optional(),
    dedupeWindow: z
      .number()
      .int()
      .min(0)
      .max(MAX_DEDUPE_WINDOW, `at most ${MAX_DEDUPE_WINDOW.toLocaleString("en-US")} ids (they are kept in memory)`)
      .optional(),
    duplicateWindowMs: positiveInt.max(MAX_TIMER_MS, SERVER_DURATION_RULE).optional(),
    publishTimeoutMs: positiveInt.max(MAX_TIMER_MS, MAX_TIMER_RULE).optional(),
    publishRetryMs: z.number().int().min(0).max(MAX_TIMER_MS, MAX_TIMER_RULE).optional(),
    replicas: z.number().int().min(1).max(5).optional(),
    maxInFlight: positiveInt.optional(),
    connection: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((o, ctx) => {
    // Tries waiting for their JetStream ack count in maxBuffered: with 0 no emit could be published.
    if (o.stream !== undefined && o.maxBuffered === 0)
      ctx.addIssue({
        code: "custom",
        path: ["maxBuffered"],
        message:
          "at least 1 with a stream (publishes waiting for their ack count in it); 0 buffers nothing on core NATS only",
      });
  });

function patternList(input: string | string[] | undefined, what: string): string[] {
  const list = input === undefined ? ["*"] : typeof input === "string" ? [input] : input;
  for (const pattern of list) {
    try {
      parsePattern(pattern);
    } catch (err) {
      throw new InvalidOptionsError(`invalid NatsTransport ${what} pattern ${JSON.stringify(pattern)}`, err);
    }
  }
  return list;
}

/** @throws InvalidOptionsError with the zod issues (or the pattern error) as `cause`. */
export function resolveNatsOptions(input: unknown): ResolvedNatsOptions {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw InvalidOptionsError.fromIssues("NatsTransport options", parsed.error.issues);
  }
  const o = parsed.data;
  if (o.durable !== undefined && o.stream === undefined)
    throw new InvalidOptionsError("NatsTransport: durable needs a stream (core NATS keeps nothing to resume)");
  return {
    servers: o.servers,
    prefix: o.prefix,
    stream: o.stream ?? null,
    durable: o.durable ?? null,
    exports: patternList(o.export, "export"),
    imports: patternList(o.import, "import"),
    startAt: o.startAt ?? "new",
    maxAckPending: o.maxAckPending ?? 256,
    ackWaitMs: o.ackWaitMs ?? 30_000,
    maxBuffered: o.maxBuffered ?? 10_000,
    maxEventBytes: o.maxEventBytes ?? null,
    dedupeWindow: o.dedupeWindow ?? 10_000,
    duplicateWindowMs: o.duplicateWindowMs ?? 120_000,
    publishTimeoutMs: o.publishTimeoutMs ?? 1_000,
    publishRetryMs: o.publishRetryMs ?? 5_000,
    replicas: o.replicas ?? 1,
    maxInFlight: o.maxInFlight ?? 10_000,
    connection: (o.connection ?? {}) as ResolvedNatsOptions["connection"],
  };
}
