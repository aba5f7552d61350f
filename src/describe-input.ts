/**
 * Short, safe renderings of any input for error messages: what a value was, never the whole of it
 * (a 10 MB string or a revoked Proxy must not make the message itself fail or explode).
 */

/**
 * What a value is, for the "got ..." part of an error message: `a string ("hello")`,
 * `a number (5)`, `an array`, `null`, `an Event`.
 */
export function received(input: unknown): string {
  if (input === null) return "null";
  if (input === undefined) return "undefined";
  if (isArray(input)) return "an array";
  switch (typeof input) {
    case "string":
      return `a string (${describe(input)})`;
    case "number":
    case "bigint":
    case "boolean":
      return `a ${typeof input} (${String(input)})`;
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    default: {
      let name: unknown;
      try {
        name = (Object.getPrototypeOf(input) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      } catch {
        // A revoked Proxy: nothing more can be said of it.
      }
      if (typeof name !== "string" || name === "" || name === "Object") return "an object";
      return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
    }
  }
}

/**
 * An object literal or `Object.create(null)`: not an array, a Map, a class instance, or a revoked
 * Proxy (asked for its prototype, it throws: the answer is then no).
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  } catch {
    return false;
  }
}

/** A short, safe rendering of any input for an error message. */
export function describe(input: unknown): string {
  if (typeof input === "string") {
    return JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input);
  }
  if (input === null) return "null";
  if (input === undefined) return "undefined";
  if (typeof input === "object") return isArray(input) ? "an array" : "an object";
  return typeof input === "symbol" ? "a symbol" : `${typeof input} ${String(input)}`;
}

/** Array.isArray, false for a revoked Proxy (on which it throws). */
function isArray(input: unknown): boolean {
  try {
    return Array.isArray(input);
  } catch {
    return false;
  }
}

/**
 * Any caught value as text, never throwing: `String(value)`, or what the value is when it has no
 * string form (an object without a prototype, a `toString` that throws, a revoked Proxy).
 */
export function textOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    return `${received(value)} that cannot be turned into text`;
  }
}

/** The message of a caught error, or the thrown value as a string when it is not an Error. */
export function messageOf(err: unknown): string {
  try {
    if (err instanceof Error) return textOf(err.message);
  } catch {
    // A `message` getter that throws, or a revoked Proxy (instanceof throws on it).
    return textOf(err);
  }
  return textOf(err);
}

/** A caught value as an Error: itself when it is one, else an Error whose message is the value as text. */
export function asError(err: unknown): Error {
  try {
    if (err instanceof Error) return err;
  } catch {
    // A revoked Proxy: not an Error.
  }
  return new Error(textOf(err));
}
