/**
 * Bus patterns as NATS subjects (docs/nats.md, "Subjects"). An event of type `t` travels on subject
 * `${prefix}.${t}`. A pattern becomes the narrowest subject that still covers every type it
 * matches; where NATS cannot say as much as the pattern (a character prefix such as `ta*`), the
 * subject is the nearest enclosing `.>` and the bridge's own matcher does the rest:
 *
 *   `*`                 -> `neuro.>`
 *   `task.*`            -> `neuro.task.>`
 *   `task.completed`    -> `neuro.task.completed`
 *   `*.failed`          -> `neuro.*.failed`        (an interior `*` is one token in both)
 *   `ta*`, `task.comp*` -> `neuro.>`, `neuro.task.>`  (+ local match, so `tb.x` is not let in)
 */
import { parsePattern, STAR } from "../pattern/grammar.js";

/** The subject that covers every event type `pattern` matches. @throws InvalidPatternError */
export function patternToSubject(prefix: string, pattern: string): string {
  const parsed = parsePattern(pattern);
  const tokens = [prefix, ...parsed.segments.map((s) => (s === STAR ? "*" : s))];
  if (parsed.prefix !== null) tokens.push(">");
  return tokens.join(".");
}

/** Whether every subject `narrow` matches is matched by `wide` too. */
export function subjectCovers(wide: string, narrow: string): boolean {
  const w = wide.split(".");
  const n = narrow.split(".");
  for (let i = 0; i < w.length; i++) {
    const token = w[i]!;
    if (token === ">") return n.length > i;
    const other = n[i];
    if (other === undefined) return false;
    if (token === "*") {
      if (other === ">") return false;
      continue;
    }
    if (token !== other) return false;
  }
  return w.length === n.length;
}

/**
 * The subjects to subscribe for `patterns`, leaving out any covered by another, so that one
 * message never arrives twice on one connection.
 */
export function importSubjects(prefix: string, patterns: readonly string[]): string[] {
  const subjects = [...new Set(patterns.map((p) => patternToSubject(prefix, p)))];
  return subjects.filter((s, i) => !subjects.some((other, j) => j !== i && subjectCovers(other, s)));
}
