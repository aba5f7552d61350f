/**
 * The offload descriptor: a handler that runs in the bus's worker pool instead of the main thread.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { InvalidHandlerError, formatIssues } from "../errors.js";
import { messageOf } from "../describe-input.js";
import type { Event } from "../event.js";
import { MAX_TIMER_MS, MAX_TIMER_RULE } from "../deadline.js";

/**
 * The second argument of an offloaded handler.
 *
 * @example
 * ```ts
 * // compress.js, run in a worker thread
 * export function handle(event, ctx) {
 *   const out = deflateSync(Buffer.from(event.data.payload));
 *   ctx.emit("compression.completed", { task_id: event.data.task_id, bytes: out.length });
 * }
 * ```
 */
export interface OffloadContext {
  /**
   * Emits an event on the main thread's bus once this handler has succeeded: by type (the source
   * defaults to the handled event's) or as an Event built here.
   *
   * @throws InvalidEventError for a bad type, data that is not an object, or data that cannot
   * cross threads (a function, a symbol...).
   */
  emit(eventOrType: Event | string, data?: Record<string, unknown>, source?: string): void;
}

/**
 * Options of `offload()`.
 *
 * @example
 * ```ts
 * bus.subscribe("compression.*", offload(new URL("./compress.js", import.meta.url), "handle", { timeoutMs: 5000, ordered: true }));
 * ```
 */
export interface OffloadOptions {
  /** Per event, from that event's start in the worker. Past it the event fails with EBUS_HANDLER_TIMEOUT. */
  timeoutMs?: number;
  /** Deliver this subscription's events to the pool one at a time, in emit order (FIFO). */
  ordered?: boolean;
}

/**
 * What `offload()` returns; pass it to `subscribe` in place of a handler function.
 *
 * @example
 * ```ts
 * const handler: OffloadHandler = offload("/srv/handlers/resize.js");
 * bus.subscribe("image.uploaded", handler);
 * ```
 */
export class OffloadHandler {
  readonly kind = "offload" as const;

  /** `instanceof OffloadHandler` holds for a descriptor of any copy of this package (see kOffload). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isOffloadHandler(value);
  }

  /** The module, as a file URL string (the form workers import). */
  readonly module: string;
  readonly exportName: string;
  readonly timeoutMs: number | undefined;
  readonly ordered: boolean;

  /** @internal use `offload()` */
  constructor(module: string, exportName: string, timeoutMs: number | undefined, ordered: boolean) {
    this.module = module;
    this.exportName = exportName;
    this.timeoutMs = timeoutMs;
    this.ordered = ordered;
    Object.freeze(this);
  }
}

function toFileUrl(module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== "file:")
      throw new InvalidHandlerError(`offload module must be a file URL, got ${module.protocol} URL`);
    return module.href;
  }
  if (typeof module === "string") {
    if (module.startsWith("file:")) {
      try {
        return new URL(module).href;
      } catch {
        throw new InvalidHandlerError(`offload module is not a valid file URL: ${JSON.stringify(module)}`);
      }
    }
    if (isAbsolute(module)) return pathToFileURL(module).href;
    throw new InvalidHandlerError(
      `offload module must be an absolute path or a file URL, got ${JSON.stringify(module)}`,
    );
  }
  throw new InvalidHandlerError("offload module must be a URL or a string");
}

const offloadOptionsSchema = z.strictObject({
  timeoutMs: z.number().positive().max(MAX_TIMER_MS, MAX_TIMER_RULE).optional(),
  ordered: z.boolean().optional(),
});

/**
 * Describes a handler that runs in a worker thread: the module's export `exportName` receives the
 * event (rebuilt in the worker) and may be sync or async.
 *
 * @throws InvalidHandlerError when the module is not an absolute path or file URL, does not exist,
 * or the options are malformed.
 * @example
 * ```ts
 * bus.subscribe("compression.*", offload(new URL("./compress.js", import.meta.url), "handle", { timeoutMs: 5000 }));
 * ```
 */
export function offload(module: URL | string, exportName = "default", options: OffloadOptions = {}): OffloadHandler {
  const href = toFileUrl(module);
  if (typeof exportName !== "string" || exportName.length === 0) {
    throw new InvalidHandlerError("offload export name must be a non-empty string");
  }
  const parsed = offloadOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new InvalidHandlerError(`invalid offload options: ${formatIssues(parsed.error.issues)}`, {
      cause: parsed.error.issues,
    });
  const { timeoutMs, ordered } = parsed.data;
  let path: string;
  try {
    path = fileURLToPath(href);
  } catch (err) {
    // A host (file://server/share/...): Node imports local files only.
    throw new InvalidHandlerError(`offload module ${href} is not a local file: ${messageOf(err)}`, { cause: err });
  }
  if (!existsSync(path)) throw new InvalidHandlerError(`offload module not found: ${path}`);
  if (!statSync(path).isFile()) throw new InvalidHandlerError(`offload module ${path} is not a file`);
  // Refused here rather than at every delivery ("Unknown file extension"), unless this Node strips types.
  if (/\.[cm]?ts$/.test(path) && !stripsTypes()) {
    throw new InvalidHandlerError(
      `offload module ${path} is TypeScript, and worker threads of this Node run JavaScript only: compile it (tsc) and offload the .js file`,
    );
  }
  return new OffloadHandler(href, exportName, timeoutMs, ordered ?? false);
}

// A brand, not the class: a descriptor made by another copy of this package (two versions in one
// app) must still be accepted by this copy's subscribe. Symbol.for gives every copy the same key.
const kOffload = Symbol.for("@neurectomy/event-bus.OffloadHandler@1");
Object.defineProperty(OffloadHandler.prototype, kOffload, { value: true });

/** Whether this Node runs .ts files itself (`process.features.typescript`, Node 22.10 on; absent on Node 20). */
function stripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

/**
 * Whether `value` is an offload descriptor made by `offload()` of any copy of this package: the
 * brand, and the fields offload() sets (an object merely carrying the brand is not one). Never
 * throws.
 */
export function isOffloadHandler(value: unknown): value is OffloadHandler {
  if (typeof value !== "object" || value === null) return false;
  try {
    const d = value as { [kOffload]?: unknown; module?: unknown; exportName?: unknown };
    return (
      d[kOffload] === true &&
      typeof d.module === "string" &&
      d.module.startsWith("file:") &&
      typeof d.exportName === "string" &&
      d.exportName.length > 0
    );
  } catch {
    return false;
  }
}
