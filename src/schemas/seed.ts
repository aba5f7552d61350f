/**
 * Ready zod schemas for the usual payloads of the 19 seed event types, from the examples of the
 * Neurectomy seed documentation and the demo workload. Opt-in: `bus.defineAll(seedSchemas)`.
 *
 * They are loose on purpose: each names the identifying keys a consumer relies on (`task_id`,
 * `workflow_id`, `agent_id`, ...) and the types of the common optional ones, and lets every other
 * key through (`z.looseObject`), so existing producers that add fields keep working.
 */
import { z } from "zod";
import { EventType } from "../event.js";

const id = z.string().min(1);
/** Seconds (the seed's `duration`) or milliseconds (`duration_ms`): non-negative numbers. */
const duration = z.number().nonnegative();
/** The seed sends `health.last_error`, which may be None. */
const errorText = z.string().nullable();

const task = {
  task_id: id,
  workflow_id: id.optional(),
  agent_id: id.optional(),
};
const blob = {
  blob_id: id.optional(),
  key: z.string().optional(),
  size_bytes: z.number().int().nonnegative().optional(),
};
const message = z.looseObject({ message: z.string(), code: z.string().optional() });

/**
 * One schema per seed event type (keys are the type strings).
 *
 * @example
 * ```ts
 * const bus = new EventBus<SeedEvents>().defineAll(seedSchemas);
 * await bus.emit(new Event(EventType.TASK_COMPLETED, "w1", { task_id: "t1", duration: 5.2 })); // ok
 * await bus.emit(bus.validate(Event.fromDict(JSON.parse(line)))); // throws EBUS_INVALID_EVENT when its data has no task_id
 * ```
 */
export const seedSchemas = {
  [EventType.TASK_STARTED]: z.looseObject({ ...task }),
  [EventType.TASK_COMPLETED]: z.looseObject({
    ...task,
    result: z.unknown().optional(),
    status: z.string().optional(),
    duration: duration.optional(),
    duration_ms: duration.optional(),
  }),
  [EventType.TASK_FAILED]: z.looseObject({
    ...task,
    error: errorText.optional(),
    reason: z.string().optional(),
    critical: z.boolean().optional(),
    priority: z.string().optional(),
    severity: z.string().optional(),
  }),
  [EventType.TASK_SKIPPED]: z.looseObject({ ...task, reason: z.string().optional() }),
  [EventType.WORKFLOW_STARTED]: z.looseObject({ workflow_id: id, tasks: z.number().int().nonnegative().optional() }),
  [EventType.WORKFLOW_COMPLETED]: z.looseObject({
    workflow_id: id,
    status: z.string().optional(),
    duration: duration.optional(),
    duration_ms: duration.optional(),
  }),
  [EventType.WORKFLOW_FAILED]: z.looseObject({
    workflow_id: id,
    error: errorText.optional(),
    severity: z.string().optional(),
  }),
  [EventType.AGENT_HEARTBEAT]: z.looseObject({
    agent_id: id,
    status: z.string().optional(),
    last_heartbeat: z.string().optional(),
  }),
  [EventType.AGENT_FAILED]: z.looseObject({ agent_id: id, error: errorText.optional(), reason: z.string().optional() }),
  [EventType.AGENT_RECOVERED]: z.looseObject({ agent_id: id }),
  [EventType.AGENT_REGISTERED]: z.looseObject({ agent_id: id, capabilities: z.array(z.string()).optional() }),
  [EventType.COMPRESSION_STARTED]: z.looseObject({ ...blob }),
  [EventType.COMPRESSION_COMPLETED]: z.looseObject({
    ...blob,
    ratio: z.number().nonnegative().optional(),
    duration_ms: duration.optional(),
  }),
  [EventType.STORAGE_UPLOADED]: z.looseObject({ ...blob }),
  [EventType.STORAGE_RETRIEVED]: z.looseObject({ ...blob, checksum_ok: z.boolean().optional() }),
  [EventType.STORAGE_DELETED]: z.looseObject({ ...blob }),
  [EventType.ERROR_OCCURRED]: z.looseObject({
    error: errorText.optional(),
    message: z.string().optional(),
    code: z.string().optional(),
  }),
  [EventType.WARNING_ISSUED]: message,
  [EventType.INFO_LOGGED]: message,
} as const;

/**
 * The event map of the seed types, inferred from {@link seedSchemas}: `new EventBus<SeedEvents>()`.
 *
 * @example
 * ```ts
 * const bus = new EventBus<SeedEvents>();
 * bus.subscribe("agent.heartbeat", (e) => console.log(e.data.agent_id, e.data.status));
 * ```
 */
export type SeedEvents = { [K in keyof typeof seedSchemas as `${K}`]: z.infer<(typeof seedSchemas)[K]> };
