/**
 * The conformance table of the pattern grammar (docs/architecture.md): pattern -> topics it must and must not match.
 * The one table of the tests: pattern/conformance.test.ts runs it through the reference matcher,
 * Event.matches, TopicTrie and the bus, and reliability/model.test.ts through the bus model, so all agree.
 */
export interface PatternCase {
  match: readonly string[];
  noMatch: readonly string[];
}

export const PATTERN_TABLE: Readonly<Record<string, PatternCase>> = {
  // seed: everything
  "*": {
    match: ["task.completed", "a", "a.b.c", "x.y.z.w", "__proto__", "ünïcødé.事件", "a.b.c.d.e.f.g.h"],
    noMatch: [],
  },
  // seed: exact
  "task.completed": {
    match: ["task.completed"],
    noMatch: [
      "task",
      "task.completed.x",
      "task.complete",
      "task.completedx",
      "x.task.completed",
      "task.failed",
      "Task.completed",
    ],
  },
  // seed: trailing `*` is a prefix wildcard, any depth
  "task.*": {
    match: ["task.completed", "task.failed", "task.a.b", "task.a.b.c.d", "task.__proto__"],
    noMatch: ["task", "tasks.completed", "tas.completed", "x.task.completed", "taskx"],
  },
  // seed: character prefix of the last segment
  "ta*": {
    match: ["ta", "task", "tab", "tab.x", "task.completed", "ta.b.c"],
    noMatch: ["t", "at", "xta", "x.ta", "T", "TA"],
  },
  "task*": {
    match: ["task", "tasks", "task.completed", "taskforce.x.y"],
    noMatch: ["tas", "tas.k", "x.task"],
  },
  // interior `*`: exactly one segment
  "*.failed": {
    match: ["task.failed", "agent.failed", "__proto__.failed", "é.failed"],
    noMatch: ["failed", "a.b.failed", "a.task.failed", "task.failed.x", "task.failedx", "task.failed.failed"],
  },
  "agent.*.heartbeat": {
    match: ["agent.a1.heartbeat", "agent.heartbeat.heartbeat", "agent.star.heartbeat"],
    noMatch: [
      "agent.heartbeat",
      "agent.a.b.heartbeat",
      "agent.a1.heartbeat.x",
      "agents.a1.heartbeat",
      "x.a1.heartbeat",
    ],
  },
  // interior `*` with a trailing prefix
  "*.ta*": {
    match: ["x.ta", "x.task", "x.tab.c", "agent.task.completed", "ta.ta"],
    noMatch: ["task", "ta", "x.t", "x.y.task", "x.at"],
  },
  "*.*": {
    match: ["a.b", "a.b.c", "task.completed"],
    noMatch: ["a", "task"],
  },
  "*.*.c": {
    match: ["a.b.c", "x.y.c"],
    noMatch: ["a.c", "a.b.c.d", "a.b.cc", "c"],
  },
  "a.*.c.*": {
    match: ["a.b.c.d", "a.x.c.d.e"],
    noMatch: ["a.b.c", "a.b.d.e", "a.b.x.c.d", "b.b.c.d"],
  },
  // deeper topics and prefixes of segments
  "a.b.c.d.e": {
    match: ["a.b.c.d.e"],
    noMatch: ["a.b.c.d", "a.b.c.d.e.f", "a.b.c.d.ee", "a.b.c.dd.e"],
  },
  "a.b.c*": {
    match: ["a.b.c", "a.b.cd", "a.b.c.d", "a.b.cd.e.f"],
    noMatch: ["a.b", "a.b.d", "a.bc", "a.b.xc", "a.c.c"],
  },
  // a prefix in the last of two segments (from the bus model's own table, merged here)
  "a.b*": {
    match: ["a.b", "a.bc", "a.bc.d", "a.b.c"],
    noMatch: ["a", "a.c", "ab", "a.cb", "x.a.b"],
  },
  "a.b": {
    match: ["a.b"],
    noMatch: ["a", "a.bc", "ab", "a.b.c", "a.x.b"],
  },
  // single-segment topics
  single: {
    match: ["single"],
    noMatch: ["singles", "singl", "single.x", "x.single"],
  },
  "s*": {
    match: ["s", "single", "s.x"],
    noMatch: ["x", "x.s"],
  },
  // unicode segments
  "événement.créé": {
    match: ["événement.créé"],
    noMatch: ["evenement.cree", "événement.créé.x", "événement"],
  },
  "事件.*": {
    match: ["事件.发生", "事件.a.b"],
    noMatch: ["事件", "事.件"],
  },
  "é*": {
    match: ["é", "éa", "é.x"],
    noMatch: ["e", "eé"],
  },
  "🚀.*.done": {
    match: ["🚀.x.done", "🚀.🛰.done"],
    noMatch: ["🚀.done", "🚀.x.y.done"],
  },
  // keys that are dangerous in plain objects
  // a computed key: a literal `__proto__:` would set the prototype instead of a property
  ["__proto__"]: {
    match: ["__proto__"],
    noMatch: ["constructor", "__proto__.x", "prototype", "toString"],
  },
  "__proto__.*": {
    match: ["__proto__.x", "__proto__.__proto__"],
    noMatch: ["__proto__", "constructor.x"],
  },
  constructor: {
    match: ["constructor"],
    noMatch: ["__proto__", "constructor.x", "constructo"],
  },
  "constructor.prototype": {
    match: ["constructor.prototype"],
    noMatch: ["constructor", "constructor.prototype.x", "prototype"],
  },
  "*.constructor": {
    match: ["x.constructor", "__proto__.constructor"],
    noMatch: ["constructor", "x.y.constructor"],
  },
  "hasOwnProperty*": {
    match: ["hasOwnProperty", "hasOwnPropertyX.y"],
    noMatch: ["hasOwn", "x.hasOwnProperty"],
  },
  // characters that are not special in this grammar
  "a-b_c:d.e+f": {
    match: ["a-b_c:d.e+f"],
    noMatch: ["a-b_c:d.e", "a-b_c:d.eef"],
  },
};

/** Every topic the table names, for cross-checks (each pattern against each topic). */
export const TABLE_TOPICS: readonly string[] = [
  ...new Set(Object.values(PATTERN_TABLE).flatMap((c) => [...c.match, ...c.noMatch])),
];

/** The patterns of the table, in a fixed order. */
export const TABLE_PATTERNS: readonly string[] = Object.keys(PATTERN_TABLE);
