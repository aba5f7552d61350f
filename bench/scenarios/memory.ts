/**
 * Scenario "memory": heap and RSS over many emits, each case in its own child process started
 * with --expose-gc, so that the figures are taken after full collections and one case's garbage
 * does not land in another's.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { RunConfig } from "../harness.js";
import { missingPeers, skipLine } from "../peers.js";
import type { Goal, ScenarioOutput } from "../registry.js";

const execFileAsync = promisify(execFile);
const CHILD = fileURLToPath(new URL("../memory-child.js", import.meta.url));

interface ChildResult {
  mode: string;
  count: number;
  samples: { emits: number; heapUsed: number; rss: number }[];
  extra: Record<string, number>;
}

async function child(mode: string, count: number): Promise<ChildResult> {
  const { stdout } = await execFileAsync(process.execPath, ["--expose-gc", CHILD, mode, String(count)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as ChildResult;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const emits = config.quick ? 100_000 : 1_000_000;
  const uniques = config.quick ? 20_000 : 100_000;
  const cases: [string, string, number][] = [
    ["EventBus, history 1000, 19 seed types", "history", emits],
    [`EventBus, ${uniques.toLocaleString("en-US")} unique event types`, "unique", uniques],
  ];
  // The emittery case is the reference column only: without the peer, the bus's own cases still run.
  const withEmittery = missingPeers(["emittery"]).length === 0;
  if (withEmittery) cases.push(["emittery (no history), 19 seed types", "emittery", emits]);
  const results: (ChildResult & { label: string })[] = [];
  for (const [label, mode, count] of cases) results.push({ label, ...(await child(mode, count)) });
  const ref = results.find((r) => r.mode === "emittery");
  const growth = (r: ChildResult): number => r.samples.at(-1)!.heapUsed - r.samples[0]!.heapUsed;
  const lines = [
    "| case | emits | heap start | heap end | heap growth | RSS start | RSS end | heap at 25/50/75% | heap growth vs emittery |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ...results.map((r) => {
      const first = r.samples[0]!;
      const last = r.samples.at(-1)!;
      const mid = r.samples
        .slice(1, -1)
        .map((s) => mb(s.heapUsed))
        .join(" / ");
      return `| ${r.label} | ${r.count.toLocaleString("en-US")} | ${mb(first.heapUsed)} | ${mb(last.heapUsed)} | ${mb(growth(r))} | ${mb(first.rss)} | ${mb(last.rss)} | ${mid} | ${ref === undefined || r === ref ? "" : `${mb(growth(r) - growth(ref))} more`} |`;
    }),
  ];
  const unique = results.find((r) => r.mode === "unique")!;
  const history = results.find((r) => r.mode === "history")!;
  const text = [
    lines.join("\n"),
    `- Figures after two forced full GCs, taken after ${(10_000).toLocaleString("en-US")} warm-up emits and then at each quarter. 3 subscriptions (\`task.*\`, \`*.failed\`, \`info.logged\`), stats on. One child process per case: a single measurement each, no spread.`,
    ...(withEmittery ? [] : [`- ${skipLine("the emittery column", ["emittery"])}`]),
    `- After the unique-types run: ${unique.extra["cachedTopics"]} topics in the trie's match cache (bound 4096), ${unique.extra["typesCounted"]} types counted one by one (the rest in the overflow slot), history ${unique.extra["historySize"]}.`,
  ];
  const flat = (r: ChildResult): boolean => growth(r) < 8 * 2 ** 20;
  const goals: Goal[] = [
    {
      goal: `Memory: heap flat over ${emits.toLocaleString("en-US")} emits with history 1000`,
      met: flat(history),
      measured: `${mb(growth(history))} growth`,
    },
    {
      goal: `Memory: bounded with ${uniques.toLocaleString("en-US")} unique event types`,
      met: flat(unique) && unique.extra["cachedTopics"]! <= 4096,
      measured: `${mb(growth(unique))} growth, ${unique.extra["cachedTopics"]} cached topics`,
    },
  ];
  return { tables: [], text, goals, data: results };
}
