/**
 * fast-check generators of valid patterns and topics over a small alphabet, so that random
 * patterns and topics collide often (a large alphabet would almost never match).
 */
import fc from "fast-check";

export const SEGMENTS = ["a", "b", "ab", "ta", "task", "tab", "é", "事件", "__proto__", "constructor"] as const;
/** Heads of a trailing prefix wildcard (`head*`), "" included (a whole-segment `*`). */
export const PREFIX_HEADS = ["", "", "a", "t", "ta", "tas", "task", "é", "__", "__proto", "con"] as const;

export const segmentArb = fc.constantFrom(...SEGMENTS);

export const topicArb = fc.array(segmentArb, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("."));

/** A valid pattern: 0-3 leading parts (literal or `*`), then a literal or `head*` last part. */
export const patternArb = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: segmentArb }, { weight: 1, arbitrary: fc.constant("*") }), {
      minLength: 0,
      maxLength: 3,
    }),
    fc.oneof(
      segmentArb,
      fc.constantFrom(...PREFIX_HEADS).map((head) => `${head}*`),
    ),
  )
  .map(([lead, last]) => [...lead, last].join("."));

/** Segments with regex metacharacters, digits, astral characters and Object.prototype names. */
export const RICH_SEGMENTS = [
  "a",
  "a-b",
  "$",
  "x+y",
  "(",
  "[a]",
  "\\",
  "^",
  "|",
  "?",
  "{1}",
  "😀",
  "😀x",
  "é",
  "0",
  "00",
  "valueOf",
  "toString",
  "__proto__",
] as const;
const RICH_HEADS = ["", "x", "😀", "0", "$", "(", "val", "__"] as const;

export const richTopicArb = fc
  .array(fc.constantFrom(...RICH_SEGMENTS), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("."));

export const richPatternArb = fc
  .tuple(
    fc.array(
      fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...RICH_SEGMENTS) }, { weight: 1, arbitrary: fc.constant("*") }),
      { minLength: 0, maxLength: 3 },
    ),
    fc.oneof(
      fc.constantFrom(...RICH_SEGMENTS),
      fc.constantFrom(...RICH_HEADS).map((head) => `${head}*`),
    ),
  )
  .map(([lead, last]) => [...lead, last].join("."));
