/**
 * The headers the bridge publishes, encoded cheaply: the client builds and encodes a generic
 * header set on every publish (a Map, a canonical-key pass, a string join), a sizeable share of
 * the sender's work on core NATS in a CPU profile of bench/nats.ts. Every message carries
 * `Neuro-Origin: <nodeId>`; a JetStream publish also `Nats-Msg-Id: <eventId>` (set from the
 * `msgID` option), the key of the stream's duplicate window.
 */
import { MsgHdrsImpl } from "@nats-io/transport-node";

export const ORIGIN_HEADER = "Neuro-Origin";
/**
 * On JetStream publishes: the publishing bridge (one per bridge() call, random). JetStream hands a
 * consumer its own node's publishes too; this tells them apart from those of another process that
 * shares its nodeId, which Neuro-Origin cannot.
 */
export const LINK_HEADER = "Neuro-Link";
/** The JetStream message id: the key of the stream's duplicate window. */
export const MSG_ID_HEADER = "Nats-Msg-Id";

/** The same bytes on every message: encoded once. For core NATS publishes. */
export class FixedHeaders extends MsgHdrsImpl {
  private encoded: Uint8Array | null = null;
  override encode(): Uint8Array {
    return (this.encoded ??= super.encode());
  }
}

export function originHeaders(nodeId: string): FixedHeaders {
  const h = new FixedHeaders();
  h.set(ORIGIN_HEADER, nodeId); // validates the value (no CR or LF)
  return h;
}

/**
 * The headers of one JetStream publish: the origin line is built once per bridge (`head`), and
 * the message id the client sets is appended as text. Should the client ever set another header,
 * the whole set is encoded the generic way.
 */
export class PublishHeaders extends MsgHdrsImpl {
  private msgId: string | null = null;
  private generic = false;

  constructor(
    private readonly nodeId: string,
    private readonly linkId: string,
    private readonly head: string,
  ) {
    super();
  }

  override set(k: string, v: string, match?: Parameters<MsgHdrsImpl["set"]>[2]): void {
    if (k === MSG_ID_HEADER && !/[\r\n]/.test(v)) {
      this.msgId = v;
      return;
    }
    this.generic = true;
    super.set(k, v, match);
  }

  override encode(): Uint8Array {
    if (!this.generic && this.msgId !== null) return Buffer.from(`${this.head}${MSG_ID_HEADER}: ${this.msgId}\r\n\r\n`);
    super.set(ORIGIN_HEADER, this.nodeId);
    super.set(LINK_HEADER, this.linkId);
    if (this.msgId !== null) super.set(MSG_ID_HEADER, this.msgId);
    return super.encode();
  }
}

/** "NATS/1.0\r\nNeuro-Origin: <nodeId>\r\nNeuro-Link: <linkId>\r\n": the head of every JetStream publish's headers. */
export function publishHead(nodeId: string, linkId: string): string {
  const h = originHeaders(nodeId);
  h.set(LINK_HEADER, linkId);
  return h.toString().slice(0, -2);
}
