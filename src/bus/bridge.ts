/**
 * The seam between the bus and a transport that carries events to other processes (docs/nats.md).
 * The bus knows only these interfaces; a transport (src/transport/nats.ts)
 * implements BusTransport and BridgeLink and never sees EventBus, so nothing in the core imports
 * a network client.
 *
 *   local emit ──► EventBus.emit ──► trie ──► local handlers
 *                        └──► DeliveryRunner.publish ──► link.onLocalEmit(event) ──► network
 *                                                        (one more delivery target)
 *   network ──► host.dispatchRemote(event) ──► same trie, history and stats; never offered back
 *                                               to onLocalEmit, so nothing echoes
 */
import type { Event } from "../event.js";
import { BusClosedError, InvalidOptionsError, type BusError } from "../errors.js";
import type { EmitResult } from "./emit-state.js";
import type { Logger } from "./options.js";
import type { BridgeStats } from "../stats/report.js";

export type { BridgeStats };

/**
 * What a transport may do with the bus it is attached to.
 *
 * @example
 * ```ts
 * // Inside a transport's attach(host): hand a message from the network to the bus.
 * const result = await host.dispatchRemote(Event.fromDict(JSON.parse(text)));
 * ```
 */
export interface BridgeHost {
  /** The bus's identity across processes; travels with every published event. */
  readonly nodeId: string;
  /** The bus's logger, for warnings that are not errors. */
  readonly logger: Logger | undefined;
  /**
   * Dispatches an event that came from another process through the local trie (history, stats,
   * handlers), without offering it to the bridge again. Resolves when every handler has settled;
   * rejects (EBUS_CLOSED) when the bus is closed.
   */
  dispatchRemote(event: Event): Promise<EmitResult>;
  /** Sends a transport error down the bus's onError / logger / stderr chain. */
  reportError(error: BusError): void;
}

/**
 * What `onLocalEmit` tells the bus about a local event:
 *
 * @example
 * ```ts
 * onLocalEmit(event) { return exported(event) ? this.publish(event) : "skipped"; }
 * ```
 *
 * - `"skipped"`: not exported (or the bridge is closed); the bridge is no delivery target;
 * - `"sent"`: handed to the network already; one delivered target;
 * - a promise: the emit waits for it; a rejection is a failed delivery (EBUS_TRANSPORT).
 */
export type LocalEmitOutcome = "skipped" | "sent" | Promise<void>;

/**
 * A running bridge, as `bus.bridge()` returns it.
 *
 * @example
 * ```ts
 * const bridge = await bus.bridge(new NatsTransport({ servers: "127.0.0.1:4222", prefix: "neuro" }));
 * console.log(bridge.stats()); // { state: "connected", published: 0, received: 0, ... }
 * await bridge.close();
 * ```
 */
export interface Bridge {
  readonly nodeId: string;
  stats(): BridgeStats;
  /**
   * Stops taking remote events, lets the ones being handled settle and acks them, waits for
   * publishes in flight (events still waiting for a connection fail with EBUS_TRANSPORT), then
   * drains the connection. Idempotent. Local emits after it stay local.
   */
  close(): Promise<void>;
}

/**
 * What `bus.bridge()` hands back: `nodeId`, `stats()` and `close()`, and nothing else. The link
 * behind it (connection, publisher, consumer) stays private, so a caller cannot reach past the
 * bridge's own bookkeeping.
 */
export function bridgeHandle(link: BridgeLink): Bridge {
  return Object.freeze({
    nodeId: link.nodeId,
    stats: (): BridgeStats => link.stats(),
    close: (): Promise<void> => link.close(),
  });
}

/**
 * Attaches `transport` to a bus through `host` (EventBus.bridge) and resolves with the link; if the
 * bus closed while it connected, closes the link again and rejects with EBUS_CLOSED.
 */
export async function attachTransport(
  transport: BusTransport,
  host: BridgeHost,
  isClosed: () => boolean,
): Promise<BridgeLink> {
  if (transport === null || typeof transport !== "object" || typeof transport.attach !== "function") {
    throw new InvalidOptionsError("bridge() needs a transport, such as new NatsTransport({...})");
  }
  const link = await transport.attach(host);
  if (isClosed()) {
    await link.close();
    throw new BusClosedError("the event bus was closed while the bridge was connecting");
  }
  return link;
}

/**
 * The bus's side of a running bridge.
 *
 * @example
 * ```ts
 * const link: BridgeLink = { nodeId, stats, close, onLocalEmit: (event) => "skipped" };
 * ```
 */
export interface BridgeLink extends Bridge {
  /** Called for every local emit, in emit order, before the local handlers run. Must not throw. */
  onLocalEmit(event: Event): LocalEmitOutcome;
}

/**
 * Something that can bridge a bus to other processes (e.g. `NatsTransport`).
 *
 * @example
 * ```ts
 * const transport: BusTransport = new NatsTransport({ servers: "127.0.0.1:4222", prefix: "neuro" });
 * const bridge = await bus.bridge(transport);
 * ```
 */
export interface BusTransport {
  /** Connects, subscribes and resolves with the running link. Rejects with EBUS_TRANSPORT. */
  attach(host: BridgeHost): Promise<BridgeLink>;
}
