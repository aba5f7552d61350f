/**
 * Payload schemas: `bus.define(type, schema)` makes every `emit` of that type validate its
 * `data` first. The registry is created on the first `define`, so a bus without schemas pays one
 * null check per emit and nothing else.
 */
import type { z } from "zod";
import { InvalidEventError, InvalidOptionsError } from "../errors.js";
import type { Event } from "../event.js";
import { assertEventType } from "../pattern/grammar.js";
import { messageOf, textOf } from "../describe-input.js";

/**
 * A zod schema of an event's `data`. It must be synchronous (no async refinements): `emit`
 * validates before it dispatches anything.
 *
 * The bus validates and keeps the data as it is (no defaults, coercions or transforms applied),
 * so what a schema accepts, its input type, is what handlers get: the input must be the payload
 * type. A schema that accepts more than it outputs (`z.coerce.number()`, `.default()`,
 * `.transform()`) is refused by the compiler, since a string accepted by `z.coerce.number()`
 * would reach a handler typed `number`.
 *
 * @example
 * ```ts
 * const schema: PayloadSchema<{ task_id: string }> = z.looseObject({ task_id: z.string() });
 * bus.define("task.started", schema);
 * ```
 */
export type PayloadSchema<D = object> = z.ZodType<OptionalUndefined<D>, OptionalUndefined<D>>;

/**
 * zod writes an optional key's output as `key?: T | undefined`; under exactOptionalPropertyTypes
 * that is not a `key?: T`, so the payload's optional keys also take `undefined` here.
 */
export type OptionalUndefined<D> = D extends object
  ? { [K in keyof D]: undefined extends D[K] ? D[K] | undefined : D[K] }
  : D;

export class SchemaRegistry {
  private readonly schemas = new Map<string, PayloadSchema<unknown>>();

  get size(): number {
    return this.schemas.size;
  }

  /** Sets (or replaces) the schema of `type`. @throws InvalidEventError, InvalidOptionsError */
  define(type: string, schema: unknown): void {
    SchemaRegistry.assertDefinition(type, schema);
    this.schemas.set(type, schema as PayloadSchema<unknown>);
  }

  /** Whether `define(type, schema)` would take them. @throws InvalidEventError, InvalidOptionsError */
  static assertDefinition(type: string, schema: unknown): void {
    assertEventType(type);
    let parses = false;
    try {
      parses =
        schema !== null &&
        typeof schema === "object" &&
        typeof (schema as { safeParse?: unknown }).safeParse === "function";
    } catch {
      // A revoked Proxy, or a throwing getter: not a schema.
    }
    if (!parses) throw new InvalidOptionsError(`the schema of "${type}" must be a zod schema (with safeParse)`);
  }

  has(type: string): boolean {
    return this.schemas.has(type);
  }

  /**
   * The error that `event` breaks its type's schema with, or null when it has no schema or passes.
   * Validation only: the event keeps its own `data` (defaults and transforms are not applied).
   */
  check(event: Event): InvalidEventError | null {
    const schema = this.schemas.get(event.eventType);
    if (schema === undefined) return null;
    let result: ReturnType<PayloadSchema<unknown>["safeParse"]>;
    try {
      result = schema.safeParse(event.data);
    } catch (err) {
      // An async refinement throws here (zod's $ZodAsyncError, of whichever copy of zod made the
      // schema): it cannot be checked before dispatch. Anything else is the schema's own failure.
      const rule = isZodAsyncError(err)
        ? `the schema of "${event.eventType}" could not run synchronously (an async refinement or transform): use synchronous checks`
        : `the schema of "${event.eventType}" threw: ${messageOf(err)}`;
      return new InvalidEventError("data", rule, err);
    }
    if (typeof result !== "object" || result === null || typeof result.success !== "boolean") {
      // Not zod's: a hand-made schema whose safeParse returns something else. Refused, not thrown.
      return new InvalidEventError(
        "data",
        `the schema of "${event.eventType}" returned no { success } result from safeParse: use a zod schema`,
      );
    }
    if (result.success) return null;
    const issues: unknown = (result.error as { issues?: unknown } | undefined)?.issues;
    if (!Array.isArray(issues))
      return new InvalidEventError("data", `invalid (schema of "${event.eventType}"; it gave no issues)`);
    const first = result.error.issues[0] as { path?: unknown; message?: unknown } | undefined;
    const path: unknown[] = Array.isArray(first?.path) ? first.path : [];
    const where = path.length === 0 ? "data" : `data.${path.map(textOf).join(".")}`;
    return new InvalidEventError(
      where,
      `${typeof first?.message === "string" ? first.message : "invalid"} (schema of "${event.eventType}")`,
      result.error.issues,
    );
  }
}

function isZodAsyncError(err: unknown): boolean {
  try {
    return (err as { constructor?: { name?: unknown } } | null)?.constructor?.name === "$ZodAsyncError";
  } catch {
    return false;
  }
}
