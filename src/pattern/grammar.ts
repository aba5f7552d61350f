/**
 * The grammar shared by event types and subscription patterns (docs/guide.md: Events, Patterns).
 *
 * An event type is 1..32 non-empty segments joined by ".", at most 1024 characters, with no `*`,
 * `>`, whitespace or control character in it (types become NATS subjects, where those are
 * illegal). A pattern is an event type in which
 *   - a whole non-final segment may be `*`: exactly one segment;
 *   - the final segment may end in `*`: a character prefix of that segment, then any depth
 *     (`task.*` is every type under `task.`, `ta*` every type whose first segment starts with `ta`,
 *     `*` every type).
 */
import { received } from "../describe-input.js";
import { InvalidEventError, InvalidPatternError } from "../errors.js";

/**
 * Segments an event type or pattern may have at most.
 *
 * @example
 * ```ts
 * if (type.split(".").length > MAX_SEGMENTS) throw new Error("too deep");
 * ```
 */
export const MAX_SEGMENTS = 32;
/**
 * Characters an event type or pattern may have at most.
 *
 * @example
 * ```ts
 * if (type.length > MAX_LENGTH) throw new Error("too long");
 * ```
 */
export const MAX_LENGTH = 1024;

/** Characters no segment may hold. `*` is legal in patterns only where the grammar places it. */
const ILLEGAL = /[\p{Cc}\p{White_Space}*>]/u;

/**
 * A pattern, parsed. `segments[i]` is a literal or STAR (one whole segment).
 *
 * @example
 * ```ts
 * parsePattern("agent.*.hb*"); // { source: "agent.*.hb*", segments: ["agent", "*"], prefix: "hb" }
 * ```
 */
export interface ParsedPattern {
  readonly source: string;
  readonly segments: readonly string[];
  /**
   * When non-null, the final segment is a prefix wildcard: the topic's segment at
   * `segments.length` must start with `prefix`, and any depth may follow.
   */
  readonly prefix: string | null;
}

/** Marks a whole-segment `*` inside `ParsedPattern.segments`. */
export const STAR = "*";

/** Why a segment of an event type (or of a pattern) is illegal, or null when it is fine. */
function segmentRule(segment: string, kind: "type" | "pattern"): string | null {
  if (segment.length === 0) return "empty segment";
  const bad = ILLEGAL.exec(segment);
  if (bad === null) return null;
  const ch = bad[0];
  if (ch === "*") {
    return kind === "pattern"
      ? "'*' must be a whole segment or end the last segment"
      : "an event type holds no '*': wildcards belong in subscribe() patterns, an event has one concrete type";
  }
  if (ch === ">") return "'>' is not allowed";
  return `illegal character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} (whitespace or control)`;
}

function lengthRule(text: string, segments: number): string | null {
  if (text.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  if (segments > MAX_SEGMENTS) return `more than ${MAX_SEGMENTS} segments`;
  return null;
}

/** Why `type` is not a valid event type, or null when it is. */
export function eventTypeRule(type: unknown): string | null {
  if (typeof type !== "string") return "must be a string";
  if (type.length === 0) return "must not be empty";
  if (type.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  const segments = type.split(".");
  const tooMany = lengthRule(type, segments.length);
  if (tooMany !== null) return tooMany;
  for (const segment of segments) {
    const rule = segmentRule(segment, "type");
    if (rule !== null) return rule;
  }
  return null;
}

// Event types repeat (a few dozen in a real system), so remember the ones already checked.
// Bounded: a stream of unique types costs the check each time, never memory.
const validTypes = new Set<string>();
const VALID_TYPES_MAX = 4096;

/** Throws InvalidEventError unless `type` is a valid event type. */
export function assertEventType(type: unknown): asserts type is string {
  if (typeof type === "string" && validTypes.has(type)) return;
  const rule = eventTypeRule(type);
  if (rule !== null) throw new InvalidEventError("event_type", rule, undefined, received(type));
  if (validTypes.size >= VALID_TYPES_MAX) validTypes.clear();
  validTypes.add(type as string);
}

/**
 * Parses a subscription pattern; throws InvalidPatternError naming the rule it broke.
 *
 * @example
 * ```ts
 * parsePattern("task.*");   // ok
 * parsePattern("ta*k.x");   // throws InvalidPatternError (EBUS_INVALID_PATTERN)
 * ```
 */
export function parsePattern(pattern: unknown): ParsedPattern {
  if (typeof pattern !== "string") throw new InvalidPatternError(pattern, "must be a string");
  if (pattern.length === 0) throw new InvalidPatternError(pattern, "must not be empty");
  if (pattern.length > MAX_LENGTH) throw new InvalidPatternError(pattern, `longer than ${MAX_LENGTH} characters`);
  const parts = pattern.split(".");
  const tooMany = lengthRule(pattern, parts.length);
  if (tooMany !== null) throw new InvalidPatternError(pattern, tooMany);
  const last = parts.length - 1;
  const segments: string[] = [];
  let prefix: string | null = null;
  for (let i = 0; i <= last; i++) {
    const part = parts[i]!;
    if (part === "#" || part === "**") throw new InvalidPatternError(pattern, notAWildcard(parts, i));
    if (i < last && part === STAR) {
      segments.push(STAR);
      continue;
    }
    if (i === last && part.endsWith("*")) {
      const head = part.slice(0, -1);
      const rule = head.length === 0 ? null : segmentRule(head, "pattern");
      if (rule !== null) throw new InvalidPatternError(pattern, rule);
      prefix = head;
      continue;
    }
    const rule = segmentRule(part, "pattern");
    if (rule !== null) throw new InvalidPatternError(pattern, rule);
    segments.push(part);
  }
  return { source: pattern, segments, prefix };
}

/**
 * The hint for `#` and `**`, the multi-level wildcards of MQTT, mqemitter and EventEmitter2: here
 * a trailing `*` already matches every depth, and an interior `*` is one segment.
 */
function notAWildcard(parts: readonly string[], at: number): string {
  const head = `'${parts[at]!}' is not a wildcard in this grammar`;
  if (at < parts.length - 1)
    return `${head}: use '*' for exactly one segment ("${parts.map((p, i) => (i === at ? "*" : p)).join(".")}")`;
  if (at === 0) return `${head}: "*" matches every event`;
  const parent = parts.slice(0, at).join(".");
  return `${head}: "${parent}.*" already matches every depth below "${parent}" (${parent}.a, ${parent}.a.b)`;
}

/** Whether a parsed pattern matches a topic that is already split into segments. */
export function matchesSegments(parsed: ParsedPattern, topic: readonly string[]): boolean {
  const { segments, prefix } = parsed;
  if (prefix === null ? topic.length !== segments.length : topic.length <= segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s !== STAR && s !== topic[i]) return false;
  }
  return prefix === null || topic[segments.length]!.startsWith(prefix);
}

// Patterns used with Event.matches and getHistory repeat; parse each once. Bounded.
const parsedCache = new Map<string, ParsedPattern>();
const PARSED_CACHE_MAX = 1024;

/** parsePattern, memoised for repeated patterns. */
function parsePatternCached(pattern: string): ParsedPattern {
  let parsed = parsedCache.get(pattern);
  if (parsed === undefined) {
    parsed = parsePattern(pattern);
    if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
    parsedCache.set(pattern, parsed);
  }
  return parsed;
}

/**
 * Whether `pattern` matches event type `type` (both assumed valid).
 *
 * @example
 * ```ts
 * matchesPattern("*.failed", "task.failed");   // true
 * matchesPattern("*.failed", "a.b.failed");    // false: "*" is one segment
 * ```
 */
export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === "*") return true;
  return matchesSegments(parsePatternCached(pattern), type.split("."));
}
