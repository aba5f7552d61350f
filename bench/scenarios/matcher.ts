/**
 * Scenario "matcher": N mixed patterns (exact, trailing `*`, interior `*`) over a seeded stream
 * of 2-4 segment topics, matched by TopicTrie (with and without its per-topic cache) and by the
 * peers, after checking that every implementation returns the same matches as a linear scan of
 * compiled RegExps (the reference: it shares no code with the trie).
 */
import eventemitter2 from "eventemitter2";
import mqemitter from "mqemitter";
import { Qlobber } from "qlobber";
import { parsePattern } from "../../src/pattern/grammar.js";
import { TopicTrie } from "../../src/pattern/trie.js";
import { measure, pairedSpeedup, seededRandom, type RunConfig, type Table, type TaskSpec } from "../harness.js";
import type { Goal, ScenarioOutput } from "../registry.js";

// eventemitter2 is CommonJS: its class is a property of module.exports.
const { EventEmitter2 } = eventemitter2;

/** Words per topic level: few at the top, more below, as in real event type names. */
const LEVEL_WORDS = [10, 20, 30, 40];
const TOPICS = 4096;

interface Pattern {
  id: number;
  /** Our grammar. */
  ours: string;
  /** qlobber / mqemitter (`*` one word, `#` zero or more). */
  amqp: string;
  /** EventEmitter2 (`*` one word, `**` zero or more). */
  ee2: string;
  regexp: RegExp;
}

function word(random: () => number, level: number): string {
  // Skewed towards the first words, so topics repeat and patterns hit them.
  const size = LEVEL_WORDS[Math.min(level, LEVEL_WORDS.length - 1)]!;
  return `l${level}w${Math.floor(random() ** 1.5 * size)}`;
}

function segments(random: () => number, depth: number): string[] {
  return Array.from({ length: depth }, (_, level) => word(random, level));
}

export function makeTopics(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => segments(random, 2 + Math.floor(random() * 3)).join("."));
}

/**
 * N distinct patterns every peer can express. Our `p.*` (any depth below p, at least one segment) becomes
 * `p.*.#` / `p.*.**`: the peers' `p.#` would also match the topic `p` itself. An interior `*` is
 * one segment everywhere. Our character prefix (`ta*`) has no peer equivalent and is not generated.
 */
export function makePatterns(seed: number, count: number): Pattern[] {
  const random = seededRandom(seed);
  const out: Pattern[] = [];
  const seen = new Set<string>();
  for (let id = 0; id < count; id++) {
    const kind = random();
    const trailing = kind >= 0.5 && kind < 0.75;
    let parts: string[];
    let body: string;
    // N distinct patterns: draw again while the skewed vocabulary repeats one (the kind stays).
    do {
      if (kind < 0.5) {
        parts = segments(random, 2 + Math.floor(random() * 3));
      } else if (trailing) {
        parts = segments(random, 1 + Math.floor(random() * 3));
      } else {
        parts = segments(random, 3 + Math.floor(random() * 2));
        parts[Math.floor(random() * (parts.length - 1))] = "*";
      }
      body = parts.join(".") + (trailing ? ".*" : "");
    } while (seen.has(body));
    seen.add(body);
    const source = parts.map((p) => (p === "*" ? "[^.]+" : p)).join("\\.");
    out.push({
      id,
      ours: body,
      amqp: trailing ? `${body}.#` : body,
      ee2: trailing ? `${body}.**` : body,
      regexp: new RegExp(trailing ? `^${source}\\..+$` : `^${source}$`),
    });
  }
  return out;
}

interface Matchers {
  trie: TopicTrie<{ seq: number }>;
  qlobber: Qlobber<number>;
  mq: ReturnType<typeof mqemitter>;
  ee2: InstanceType<typeof EventEmitter2>;
  regexps: { id: number; regexp: RegExp }[];
  /** Ids seen by the emit-based peers while `recording`. */
  seen: number[];
  recording: boolean;
}

function build(patterns: Pattern[]): Matchers {
  const m: Matchers = {
    trie: new TopicTrie(),
    qlobber: new Qlobber<number>(),
    mq: mqemitter({ separator: ".", wildcardOne: "*", wildcardSome: "#", matchEmptyLevels: false }),
    ee2: new EventEmitter2({ wildcard: true, delimiter: ".", maxListeners: 0 }),
    regexps: patterns.map((p) => ({ id: p.id, regexp: p.regexp })),
    seen: [],
    recording: false,
  };
  for (const p of patterns) {
    m.trie.add(parsePattern(p.ours), { seq: p.id });
    m.qlobber.add(p.amqp, p.id);
    m.mq.on(p.amqp, (_message, done) => {
      if (m.recording) m.seen.push(p.id);
      done();
    });
    m.ee2.on(p.ee2, () => {
      if (m.recording) m.seen.push(p.id);
    });
  }
  return m;
}

function regexpMatch(regexps: Matchers["regexps"], topic: string): number[] {
  const ids: number[] = [];
  for (const r of regexps) if (r.regexp.test(topic)) ids.push(r.id);
  return ids;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...a].sort((x, y) => x - y);
  return sorted.every((v, i) => v === b[i]);
}

/** Topics (of `topics`) on which each implementation disagrees with the RegExp reference. */
function mismatches(m: Matchers, topics: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {
    "TopicTrie.matchUncached": 0,
    "TopicTrie.match": 0,
    "qlobber match()": 0,
    "mqemitter emit": 0,
    "EventEmitter2 emit": 0,
  };
  const bump = (name: string): void => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const capture = (fire: () => void): number[] => {
    m.seen = [];
    m.recording = true;
    fire();
    m.recording = false;
    return m.seen;
  };
  for (const topic of topics) {
    const expected = regexpMatch(m.regexps, topic); // ascending ids
    if (
      !sameIds(
        m.trie.matchUncached(topic).map((e) => e.seq),
        expected,
      )
    )
      bump("TopicTrie.matchUncached");
    if (
      !sameIds(
        m.trie.match(topic).map((e) => e.seq),
        expected,
      )
    )
      bump("TopicTrie.match");
    if (!sameIds(m.qlobber.match(topic), expected)) bump("qlobber match()");
    if (
      !sameIds(
        capture(() => m.mq.emit({ topic })),
        expected,
      )
    )
      bump("mqemitter emit");
    if (
      !sameIds(
        capture(() => m.ee2.emit(topic)),
        expected,
      )
    )
      bump("EventEmitter2 emit");
  }
  return counts;
}

/** A task that matches the next `n` topics of the stream, keeping a checksum so nothing is optimised away. */
function overTopics(topics: readonly string[], matchOne: (topic: string) => number): (n: number) => void {
  let cursor = 0;
  return (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += matchOne(topics[cursor]!);
      cursor = cursor + 1 === topics.length ? 0 : cursor + 1;
    }
    sink ^= sum;
  };
}
let sink = 0;

async function runSize(
  config: RunConfig,
  n: number,
  topics: readonly string[],
): Promise<{ table: Table; mismatchCounts: Record<string, number>; checked: number }> {
  const patterns = makePatterns(1000 + n, n);
  const m = build(patterns);
  const checkTopics = config.quick && n >= 10_000 ? topics.slice(0, 512) : topics;
  const mismatchCounts = mismatches(m, checkTopics);
  for (const t of topics) m.trie.match(t); // warm the cache: the stream's topics all fit in it
  const regexps = m.regexps;
  const specs: TaskSpec[] = [
    {
      name: "TopicTrie.match (cached)",
      library: "@neurectomy/event-bus",
      run: overTopics(topics, (t) => m.trie.match(t).length),
    },
    {
      name: "TopicTrie.matchUncached",
      library: "@neurectomy/event-bus",
      run: overTopics(topics, (t) => m.trie.matchUncached(t).length),
    },
    { name: "qlobber match()", library: "qlobber", run: overTopics(topics, (t) => m.qlobber.match(t).length) },
    { name: "mqemitter emit", library: "mqemitter", run: overTopics(topics, (t) => (m.mq.emit({ topic: t }), 1)) },
    {
      name: "EventEmitter2 emit (wildcard)",
      library: "eventemitter2",
      run: overTopics(topics, (t) => (m.ee2.emit(t) ? 1 : 0)),
    },
    { name: "RegExp linear scan", library: "baseline", run: overTopics(topics, (t) => regexpMatch(regexps, t).length) },
  ];
  const table = await measure(
    config,
    `Matcher, N = ${n.toLocaleString("en-US")} patterns (per topic matched)`,
    "qlobber match()",
    specs,
    [
      `${topics.length} seeded topics of 2-4 segments, each timed iteration matches a batch of consecutive topics; figures are per topic.`,
      "mqemitter and EventEmitter2 expose matching only through emit: their figures include calling the matched no-op listeners.",
    ],
    config.quick ? 1 : 6,
  );
  return { table, mismatchCounts, checked: checkTopics.length };
}

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const topics = makeTopics(42, TOPICS);
  const sizes = [10, 1_000, 10_000];
  const tables: Table[] = [];
  const text: string[] = [
    "Patterns: 50% exact, 25% trailing `*` (ours `a.b.*` = qlobber/mqemitter `a.b.*.#` = EventEmitter2 `a.b.*.**`: at least one more segment, any depth), 25% with one interior `*` (one segment, the same in every syntax). Our character prefix (`ta*`) has no peer equivalent and is not generated.",
  ];
  const lines = [
    "| N | topics checked | " +
      ["TopicTrie.matchUncached", "TopicTrie.match", "qlobber match()", "mqemitter emit", "EventEmitter2 emit"].join(
        " | ",
      ) +
      " |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const goals: Goal[] = [];
  const data: Record<string, unknown> = {};
  for (const n of sizes) {
    const { table, mismatchCounts, checked } = await runSize(config, n, topics);
    tables.push(table);
    data[String(n)] = { mismatches: mismatchCounts, checked };
    lines.push(`| ${n.toLocaleString("en-US")} | ${checked} | ${Object.values(mismatchCounts).join(" | ")} |`);
    if (n === 10_000) {
      const speedup = (name: string): { median: number; min: number; max: number } =>
        pairedSpeedup(table, name, "qlobber match()");
      const describe = (r: { median: number; min: number; max: number }): string =>
        `${r.median.toFixed(2)}x (rounds: ${r.min.toFixed(2)}-${r.max.toFixed(2)}x)`;
      const uncached = speedup("TopicTrie.matchUncached");
      const cached = speedup("TopicTrie.match (cached)");
      const ours = mismatchCounts["TopicTrie.matchUncached"]! + mismatchCounts["TopicTrie.match"]!;
      goals.push(
        {
          goal: "Matcher N=10,000: TopicTrie.matchUncached >= 2x qlobber match()",
          met: uncached.median >= 2,
          measured: describe(uncached),
        },
        {
          goal: "Matcher N=10,000: TopicTrie.match (cached) >= 10x qlobber match()",
          met: cached.median >= 10,
          measured: describe(cached),
        },
        {
          goal: "Matcher: zero TopicTrie mismatches against the RegExp reference",
          met: ours === 0,
          measured: `${ours} mismatching topics`,
        },
      );
    }
  }
  text.push(
    "Mismatches against the RegExp reference (topics whose set of matched patterns differs):\n\n" + lines.join("\n"),
  );
  if (sink === 0.5) console.log(sink);
  return { tables, text, goals, data };
}
