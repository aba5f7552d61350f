/**
 * An in-memory BusTransport: every bus attached to one MemoryNetwork receives what the others
 * publish, through the wire format (toDict / fromDict), as a network transport would deliver it.
 * `mode` decides what onLocalEmit answers, so the bus's handling of each outcome can be tested
 * without a server.
 */
import { Event, type BridgeHost, type BridgeLink, type BridgeStats, type BusTransport, type LocalEmitOutcome } from "../../src/index.js";

export type PublishMode = "sent" | "async" | "reject" | "throw" | "hang";

export class MemoryNetwork {
  readonly links = new Set<MemoryLink>();
  /** Events handed to the network, by every link. */
  published: Event[] = [];
}

export class MemoryTransport implements BusTransport {
  constructor(
    private readonly network: MemoryNetwork,
    private readonly options: { exported?: (type: string) => boolean; mode?: () => PublishMode } = {},
  ) {}

  attach(host: BridgeHost): Promise<BridgeLink> {
    const link = new MemoryLink(host, this.network, this.options.exported ?? (() => true), this.options.mode ?? (() => "sent"));
    this.network.links.add(link);
    return Promise.resolve(link);
  }
}

export class MemoryLink implements BridgeLink {
  private state: "connected" | "closed" = "connected";
  private published = 0;
  private received = 0;
  /** What the other buses' dispatchRemote resolved or rejected with. */
  readonly remoteOutcomes: Promise<unknown>[] = [];

  constructor(
    private readonly host: BridgeHost,
    private readonly network: MemoryNetwork,
    private readonly exported: (type: string) => boolean,
    private readonly mode: () => PublishMode,
  ) {}

  get nodeId(): string {
    return this.host.nodeId;
  }

  stats(): BridgeStats {
    return { state: this.state, published: this.published, received: this.received, duplicates: 0, invalid: 0, retries: 0 };
  }

  onLocalEmit(event: Event): LocalEmitOutcome {
    if (this.state === "closed" || !this.exported(event.eventType)) return "skipped";
    const mode = this.mode();
    if (mode === "throw") throw new Error("the wire broke");
    if (mode === "reject") return Promise.reject(new Error("no ack"));
    if (mode === "hang") return new Promise<void>(() => undefined);
    this.published++;
    this.network.published.push(event);
    for (const other of this.network.links) if (other !== this && other.state === "connected") other.receive(event.toDict());
    return mode === "sent" ? "sent" : Promise.resolve();
  }

  receive(dict: ReturnType<Event["toDict"]>): void {
    this.received++;
    const outcome = this.host.dispatchRemote(Event.fromDict(dict));
    outcome.catch(() => undefined);
    this.remoteOutcomes.push(outcome);
  }

  close(): Promise<void> {
    this.state = "closed";
    this.network.links.delete(this);
    return Promise.resolve();
  }
}
