/**
 * The `demo` command (what `npm start` and `neurobus demo` run): parses its options, runs the
 * demo with a progress line on stderr, and prints the report (tables, or JSON with --json).
 */
import { parseArgs } from "node:util";
import { messageOf } from "../describe-input.js";
import { renderReport, createProgressView } from "./render.js";
import { DEFAULT_EVENTS, DEFAULT_SECONDS, runDemo, type DemoOptions } from "./run-demo.js";

export const DEMO_USAGE = `Usage: neurobus demo [options]    (in a checkout of the repository: npm start -- [options])

Runs a simulated Neurectomy workflow (agents, workflows, tasks, storage) through an in-process
event bus, with a live progress line on stderr, then prints throughput, handler latency and the
bus's statistics. Needs no server. Stops at --events or --seconds, whichever comes first.

Options:
  --events N     events to emit at most (default ${DEFAULT_EVENTS.toLocaleString("en-US")})
  --seconds S    seconds to emit for at most (default ${DEFAULT_SECONDS})
  --json         print the report as JSON on stdout instead of tables
  -h, --help     show this help

Exit status: 0 when the report's cross-checks hold, 1 when one fails, 2 on a usage error.
`;

type ParsedDemoArgs = { help: true } | { help: false; json: boolean; events: number; seconds: number };

/** @throws TypeError (from parseArgs) or RangeError on a bad option. */
export function parseDemoArgs(argv: string[]): ParsedDemoArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      events: { type: "string" },
      seconds: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true };
  const number = (name: string, text: string | undefined, fallback: number, integer: boolean): number => {
    if (text === undefined) return fallback;
    const value = Number(text.replaceAll("_", ""));
    if (
      !/^\s*[0-9_.eE+]+\s*$/.test(text) ||
      !Number.isFinite(value) ||
      value <= 0 ||
      (integer && !Number.isSafeInteger(value))
    ) {
      throw new RangeError(`--${name} must be a positive ${integer ? "integer" : "number"}, got "${text}"`);
    }
    return value;
  };
  return {
    help: false,
    json: values.json,
    events: number("events", values.events, DEFAULT_EVENTS, true),
    seconds: number("seconds", values.seconds, DEFAULT_SECONDS, false),
  };
}

/** Runs the demo command. @returns the exit status. */
export async function demoMain(argv: string[]): Promise<number> {
  let args: ParsedDemoArgs;
  try {
    args = parseDemoArgs(argv);
  } catch (err) {
    process.stderr.write(`neurobus demo: ${messageOf(err)}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  const progress = createProgressView(process.stderr, { events: args.events, seconds: args.seconds });
  const options: DemoOptions = {
    events: args.events,
    seconds: args.seconds,
    onProgress: (sample) => progress.update(sample),
    progressIntervalMs: progress.intervalMs,
  };
  let report;
  try {
    report = await runDemo(options);
  } finally {
    progress.done();
  }
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  const failed = Object.entries(report.checks).filter(([, ok]) => !ok);
  for (const [name] of failed) process.stderr.write(`check failed: ${name}\n`);
  return failed.length === 0 ? 0 : 1;
}
