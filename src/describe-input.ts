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
  if (Array.isArray(input)) return "an array";
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

/** A short, safe rendering of any input for an error message. */
export function describe(input: unknown): string {
  if (typeof input === "string") {
    return JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input);
  }
  if (input === null) return "null";
  if (typeof input === "object") return Array.isArray(input) ? "an array" : "an object";
  return typeof input === "symbol" ? "a symbol" : `${typeof input} ${String(input)}`;
}

/** The message of a caught error, or the thrown value as a string when it is not an Error. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A caught value as an Error: itself when it is one, else an Error whose message is the value as a string. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
