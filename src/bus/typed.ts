/**
 * Compile-time types of a typed bus: an event map (event type -> payload) and what a pattern of
 * the grammar (docs/architecture.md: the pattern grammar) can match in it. Nothing here exists at run time.
 *
 * Matching is done segment by segment on template literal types, mirroring grammar.ts:
 *
 *   pattern "agent.*.heartbeat"  ->  ["agent", "*", "heartbeat"]   "*" = exactly one segment
 *   pattern "task.*" / "ta*"     ->  last segment "Pre*": the type's segment there starts with
 *                                    Pre, and any depth may follow
 *   type    "agent.a1.heartbeat" ->  ["agent", "a1", "heartbeat"]
 *
 * A map whose keys include `string` (an index signature, or the default map) is untyped: every
 * pattern then gives `Event`, exactly as an untyped bus always has.
 */
import type { Event } from "../event.js";

/**
 * A map of event types to their payload types. Use a type alias or an interface whose keys are
 * literal event types.
 *
 * @example
 * ```ts
 * interface Events {
 *   "task.completed": { task_id: string; duration?: number };
 *   "task.failed": { task_id: string; error: string };
 * }
 * const bus = new EventBus<Events>();
 * ```
 */
export type EventMap<M> = { [K in keyof M]: object };

/**
 * The map of an untyped bus: any type, any object payload.
 *
 * @example
 * ```ts
 * const bus = new EventBus<UntypedEvents>(); // the same as new EventBus()
 * ```
 */
export type UntypedEvents = Record<string, Record<string, unknown>>;

/**
 * An event with any payload type: what the bus's implementation accepts behind its typed
 * signatures (a payload interface has no index signature, so it is not a `Record<string, unknown>`).
 *
 * @example
 * ```ts
 * const events: AnyEvent[] = [new Event("a.b", "s", { x: 1 })];
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEvent = Event<string, any>;

/**
 * Whether `M` is untyped (its keys include `string`).
 *
 * @example
 * ```ts
 * type A = IsUntyped<UntypedEvents>;               // true
 * type B = IsUntyped<{ "a.b": { x: number } }>;   // false
 * ```
 */
export type IsUntyped<M> = string extends keyof M ? true : false;

type Split<S extends string> = S extends `${infer Head}.${infer Tail}` ? [Head, ...Split<Tail>] : [S];

type MatchSegments<P extends readonly string[], T extends readonly string[]> = P extends [infer Last extends string]
  ? Last extends `${infer Prefix}*`
    ? T extends [infer Seg extends string, ...string[]]
      ? Seg extends `${Prefix}${string}`
        ? true
        : false
      : false
    : T extends [Last]
      ? true
      : false
  : P extends [infer Head extends string, ...infer Rest extends string[]]
    ? T extends [infer Seg extends string, ...infer More extends string[]]
      ? Head extends "*"
        ? MatchSegments<Rest, More>
        : [Seg] extends [Head]
          ? MatchSegments<Rest, More>
          : false
      : false
    : false;

/**
 * Whether pattern `P` matches event type `T` (both literal types), by the rules of `subscribe`.
 *
 * @example
 * ```ts
 * type A = PatternMatches<"task.*", "task.completed">; // true
 * type B = PatternMatches<"*.failed", "agent.x.failed">; // false: "*" is one segment
 * ```
 */
export type PatternMatches<P extends string, T extends string> = string extends P
  ? true
  : P extends "*"
    ? true
    : MatchSegments<Split<P>, Split<T>>;

/**
 * The payload of type `K` in map `M`.
 *
 * @example
 * ```ts
 * type P = PayloadOf<SeedEvents, "task.completed">; // { task_id: string; duration?: number; ... }
 * ```
 */
export type PayloadOf<M, K extends keyof M> = M[K] extends object ? M[K] : never;

/**
 * Every event a typed bus accepts: the union of `Event<K, M[K]>` over the map's types.
 *
 * @example
 * ```ts
 * type E = EventOf<{ "a.b": { x: number }; "c.d": { y: string } }>;
 * // Event<"a.b", { x: number }> | Event<"c.d", { y: string }>
 * ```
 */
export type EventOf<M> =
  IsUntyped<M> extends true ? Event : { [K in keyof M & string]: Event<K, PayloadOf<M, K>> }[keyof M & string];

/**
 * The events of map `M` that pattern `P` can match: a union discriminated by `eventType`, so a
 * handler of `task.*` sees the union of the `task.` payloads. `never` when nothing matches.
 *
 * @example
 * ```ts
 * type E = MatchedEvent<SeedEvents, "*.failed">; // task.failed | workflow.failed | agent.failed events
 * ```
 */
export type MatchedEvent<M, P extends string> =
  IsUntyped<M> extends true
    ? Event
    : { [K in keyof M & string]: PatternMatches<P, K> extends true ? Event<K, PayloadOf<M, K>> : never }[keyof M &
        string];

/**
 * What a handler of pattern `P` receives on a bus of map `M`: on an untyped bus, the handler's
 * own declared event type `E` (as before typed maps existed); on a typed one, the matched union.
 *
 * @example
 * ```ts
 * type E = HandledEvent<SeedEvents, "agent.*", Event>; // the agent.* events of the seed map
 * ```
 */
export type HandledEvent<M, P extends string, E extends Event<string, object>> =
  IsUntyped<M> extends true ? E : MatchedEvent<M, P>;

/**
 * The pattern parameter of a typed bus: `P` itself when it can match a type of the map, else a
 * string that names the problem, so the call does not compile. Untyped buses take any string.
 *
 * @example
 * ```ts
 * type Ok = PatternArg<SeedEvents, "task.*">;  // "task.*"
 * type No = PatternArg<SeedEvents, "nope.*">;  // an error message type: the call does not compile
 * ```
 */
export type PatternArg<M, P extends string> =
  IsUntyped<M> extends true
    ? P
    : [MatchedEvent<M, P>] extends [never]
      ? `pattern "${P}" matches no event type of this bus`
      : P;
