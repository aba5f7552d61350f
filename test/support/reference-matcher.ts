/**
 * A naive reference matcher written from the prose of the pattern grammar (docs/architecture.md), NOT from src/: the
 * pattern becomes a regular expression over the whole topic string.
 *   - `*` alone matches every type;
 *   - a whole non-final `*` segment is exactly one segment: `[^.]+`;
 *   - a last segment `p*` means "the type starts with everything before the `*`", any depth
 *     after it (`task.*` starts with `task.`, `ta*` starts with `ta`);
 *   - anything else is literal.
 * It does not validate patterns: callers pass valid ones.
 */
const cache = new Map<string, RegExp>();

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function referenceRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re !== undefined) return re;
  const parts = pattern.split(".");
  const last = parts.length - 1;
  let source = "^";
  parts.forEach((part, i) => {
    if (i > 0) source += "\\.";
    if (i < last && part === "*") source += "[^.]+";
    else if (i === last && part.endsWith("*")) source += `${escape(part.slice(0, -1))}[^]*`;
    else source += escape(part);
  });
  re = new RegExp(`${source}$`);
  cache.set(pattern, re);
  return re;
}

/** Whether `pattern` matches event type `topic`, by the reference. */
export function referenceMatches(pattern: string, topic: string): boolean {
  return referenceRegExp(pattern).test(topic);
}
