/**
 * What a failed JetStream publish means: worth another try (the stream has no leader for a few
 * seconds, the ack did not come, the connection dropped), or final (the server refused the
 * message). And a message that names what happened, instead of the client's own wording: the
 * client's `js.publish()` reports "503 no responders" as `JetStreamNotEnabled: jetstream is not
 * enabled`, which on a cluster whose stream is electing a leader sends the reader the wrong way.
 * The bridge publishes through PipelinedAcks, which raises the client's NoRespondersError,
 * TimeoutError and JetStreamApiError; the client's wrapped forms are read too.
 */
import { JetStreamApiError } from "@nats-io/jetstream";
import { errors as natsErrors } from "@nats-io/transport-node";
import { textOf } from "../describe-input.js";

/** Why a try failed, as far as the publisher can tell. */
export type TryFailure =
  /** 503: nothing answered on the subject: the stream has no leader (an election), or no stream stores it. */
  | "no-responders"
  /** No ack within the try's wait: the message may have been stored. */
  | "timeout"
  /** The try was in flight when its connection dropped: the message may have been stored. */
  | "disconnected"
  /**
   * The JetStream API answered that the cluster cannot serve it right now (e.g. "JetStream system temporarily
   * unavailable").
   */
  | "unavailable"
  /** Sending it again cannot help (the stream refused it, permissions, the connection closed for good). */
  | "permanent"
  /** Anything else: retried, within the budget. */
  | "other";

/**
 * JetStream API errors that pass with a leader election: 10008 "JetStream system temporarily
 * unavailable", 10009 "JetStream cluster can not handle request" (nats-server's errors.json).
 */
const TRANSIENT_API_CODES: ReadonlySet<number> = new Set([10008, 10009]);

/** The package does not export JetStreamNotEnabled: recognise it by name. */
const isNotEnabled = (err: unknown): err is Error => err instanceof Error && err.name === "JetStreamNotEnabled";

function isNoResponders(err: unknown): boolean {
  if (err instanceof natsErrors.NoRespondersError) return true;
  if (err instanceof natsErrors.RequestError) return err.isNoResponders();
  // The JetStream client turns a request's no-responders into JetStreamNotEnabled, with the
  // request's error as its cause. A real "not enabled for this account" comes from the API
  // (err_code 10039) with a JetStreamApiError as its cause instead.
  return isNotEnabled(err) && err.cause instanceof natsErrors.RequestError && err.cause.isNoResponders();
}

export function classify(err: unknown): TryFailure {
  if (isNoResponders(err)) return "no-responders";
  if (err instanceof natsErrors.TimeoutError) return "timeout";
  // Not by status: the server answers 503 to "maximum messages exceeded" too, which no retry fixes.
  if (err instanceof JetStreamApiError) return TRANSIENT_API_CODES.has(err.code) ? "unavailable" : "permanent";
  if (
    isNotEnabled(err) ||
    err instanceof natsErrors.InvalidArgumentError ||
    err instanceof natsErrors.ClosedConnectionError ||
    err instanceof natsErrors.DrainingConnectionError ||
    err instanceof natsErrors.PermissionViolationError
  ) {
    return "permanent";
  }
  return "other";
}

/** Whether a try that failed this way may still have stored the message. */
export function mayHaveLanded(failure: TryFailure): boolean {
  return failure === "timeout" || failure === "disconnected" || failure === "other";
}

/** What happened, for a person: "stream NEURO has no leader or no responders (503)". */
export function describeFailure(failure: TryFailure, err: unknown, stream: string, tryTimeoutMs: number): string {
  switch (failure) {
    case "no-responders":
      return `stream ${stream} has no leader or no responders (503: a leader election after a server died, or no stream stores the subject)`;
    case "timeout":
      return `publish timed out: no ack from stream ${stream} within ${tryTimeoutMs} ms`;
    case "disconnected":
      return "the NATS connection was lost and is not back";
    case "unavailable":
      return `stream ${stream} is unavailable: ${(err as Error).message} (JetStream error ${(err as JetStreamApiError).code})`;
    case "permanent":
      return err instanceof JetStreamApiError
        ? `stream ${stream} refused it: ${err.message} (JetStream error ${err.code})`
        : textOf(err);
    case "other":
      return textOf(err);
  }
}
