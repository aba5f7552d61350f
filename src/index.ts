export { Event, EventType, eventDictSchema, type EventDict } from "./event.js";
export {
  AlreadyBridgedError,
  BusError,
  BusClosedError,
  HandlerFailedError,
  HandlerTimeoutError,
  InvalidEventError,
  InvalidHandlerError,
  InvalidOptionsError,
  InvalidPatternError,
  NotCloneableError,
  RecursionLimitError,
  TransportError,
  WaitTimeoutError,
  WorkerCrashedError,
  WorkerEntryMissingError,
  type BusErrorCode,
} from "./errors.js";
export { EventBus } from "./bus/event-bus.js";
export { EventBusGlobal } from "./bus/global.js";
export type { EmitResult } from "./bus/emit-state.js";
export type {
  BusOptions,
  CloseOptions,
  Logger,
  StatsOptions,
  WorkerOptions,
  WorkerResourceLimits,
} from "./bus/options.js";
export type { HistoryQuery } from "./bus/queries.js";
export type { BusStats, BridgeState, BridgeStats, WorkerStats } from "./stats/report.js";
export type { Bridge, BridgeHost, BridgeLink, BusTransport, LocalEmitOutcome } from "./bus/bridge.js";
export type { Filter, Handler, SubscribeOptions } from "./bus/subscription.js";
export type { LatencyStats } from "./stats/snapshot.js";
export { offload, OffloadHandler, type OffloadContext, type OffloadOptions } from "./offload/offload.js";
export { TopicTrie, type TopicTrieOptions, type TrieEntry } from "./pattern/trie.js";
export { parsePattern, matchesPattern, MAX_LENGTH, MAX_SEGMENTS, type ParsedPattern } from "./pattern/grammar.js";
export type {
  AnyEvent,
  EventMap,
  EventOf,
  HandledEvent,
  IsUntyped,
  MatchedEvent,
  PatternArg,
  PatternMatches,
  PayloadOf,
  UntypedEvents,
} from "./bus/typed.js";
export type { PayloadSchema } from "./bus/schemas.js";
export { seedSchemas, type SeedEvents } from "./schemas/seed.js";
export { AbortError, type WaitForOptions } from "./bus/waiting.js";
export { EventStream, type OverflowPolicy, type StreamOptions } from "./bus/stream.js";
export type { Unsubscribe } from "./bus/disposable.js";
export { DEFAULT_METRICS_BUCKETS, type MetricsOptions } from "./stats/prometheus.js";
