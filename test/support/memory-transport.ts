/**
 * An in-memory BusTransport: every bus attached to one MemoryNetwork receives what the others
 * publish, through the wire format (toDict / fromDict), as a network transport would deliver it,
 * and counts what it receives as NatsLink does (received once dispatched; invalid, acknowledged
 * and reported when the event breaks a schema). `mode` decides what onLocalEmit answers, so the
 * bus's handling of each outcome can be tested without a server. memoryNetwork() is its
 * ContractNetwork for the transport contract.
 */
import {
  Event,
  TransportError,
  matchesPattern,
  type BridgeHost,
  type BridgeLink,
  type BridgeStats,
  type BusTransport,
  type LocalEmitOutcome,
} from "../../src/index.js";
import { ticks } from "./async.js";
import type { ContractNetwork, FaultMode } from "./transport-contract.js";

export type PublishMode = "sent" | FaultMode;

export class MemoryNetwork {
  readonly links = new Set<MemoryLink>();
  /** Events handed to the network, by every link. */
  published: Event[] = [];
}

export class MemoryTransport implements BusTransport {
  constructor(
    private readonly network: MemoryNetwork,
    private readonly options: { export?: readonly string[]; mode?: () => PublishMode; closeDelayMs?: number } = {},
  ) {}

  attach(host: BridgeHost): Promise<BridgeLink> {
    const patterns = this.options.export;
    const exported =
      patterns === undefined ? () => true : (type: string) => patterns.some((p) => matchesPattern(p, type));
    const link = new MemoryLink(
      host,
      this.network,
      exported,
      this.options.mode ?? (() => "sent"),
      this.options.closeDelayMs ?? 0,
    );
    this.network.links.add(link);
    return Promise.resolve(link);
  }
}

export class MemoryLink implements BridgeLink {
  private state: "connected" | "closed" = "connected";
  private published = 0;
  private received = 0;
  private invalid = 0;
  /** What the other buses' dispatchRemote resolved or rejected with. */
  readonly remoteOutcomes: Promise<unknown>[] = [];

  constructor(
    private readonly host: BridgeHost,
    private readonly network: MemoryNetwork,
    private readonly exported: (type: string) => boolean,
    private readonly mode: () => PublishMode,
    /** close() takes this long (a bridge whose server is slow to answer). */
    private readonly closeDelayMs = 0,
  ) {}

  get nodeId(): string {
    return this.host.nodeId;
  }

  stats(): BridgeStats {
    return {
      state: this.state,
      published: this.published,
      received: this.received,
      duplicates: 0,
      invalid: this.invalid,
      dropped: 0,
      retries: 0,
    };
  }

  onLocalEmit(event: Event): LocalEmitOutcome {
    if (this.state === "closed" || !this.exported(event.eventType)) return "skipped";
    const mode = this.mode();
    if (mode === "throw") throw new Error("the wire broke");
    if (mode === "reject") return Promise.reject(new Error("no ack"));
    if (mode === "hang") return new Promise<void>(() => undefined);
    this.published++;
    this.network.published.push(event);
    for (const other of this.network.links)
      if (other !== this && other.state === "connected") other.receive(event.toDict());
    return mode === "sent" ? "sent" : Promise.resolve();
  }

  receive(dict: ReturnType<Event["toDict"]>): void {
    const event = Event.fromDict(dict);
    const outcome = this.host.dispatchRemote(event).then(
      () => void this.received++,
      (err: unknown) => {
        if ((err as { code?: unknown } | null)?.code === "EBUS_INVALID_EVENT") {
          this.invalid++;
          this.host.reportError(
            new TransportError(`remote event ${event.eventId} dropped: ${String(err)}`, { cause: err }),
          );
        }
        throw err;
      },
    );
    outcome.catch(() => undefined);
    this.remoteOutcomes.push(outcome);
  }

  close(): Promise<void> {
    this.state = "closed";
    this.network.links.delete(this);
    return this.closeDelayMs === 0
      ? Promise.resolve()
      : new Promise((resolve) => setTimeout(resolve, this.closeDelayMs));
  }
}

/** A fresh in-memory network for the transport contract. */
export function memoryNetwork(): ContractNetwork {
  const network = new MemoryNetwork();
  return {
    transport: (options = {}) => new MemoryTransport(network, options),
    faulty: (mode) => new MemoryTransport(network, { mode: () => mode }),
    // Deliveries are chains of promise callbacks: they have all run after a few event-loop turns.
    settle: async () => {
      await ticks(3);
      await Promise.allSettled([...network.links].flatMap((l) => l.remoteOutcomes));
    },
    carried: () => Promise.resolve(network.published.map((e) => e.eventId)),
    dispose: () => Promise.resolve(),
  };
}
