/**
 * The entry of `neurobus bench` (and `npm run bench`): `main(args)` runs the built-in suite, a
 * `--handler` run, or `compare`, and returns the exit status (0 done, 1 failed, 2 bad usage).
 */
import { writeFileSync } from "node:fs";
import { compareFiles, renderComparison } from "./compare.js";
import { ownPackage } from "./harness.js";
import { HANDLER_USAGE, parseHandlerArgs } from "./handler/options.js";
import { renderHandlerReport } from "./handler/render.js";
import { runHandlerBench } from "./handler/run.js";
import { BenchRunError } from "./handler/load.js";
import { createProgress } from "./progress.js";
import { handlerReportHtml } from "./report/handler-report.js";
import { SUITE_USAGE, suiteMain } from "./suite.js";
import { BenchUsageError } from "./usage-error.js";

const COMPARE_USAGE = `Usage: neurobus bench compare BEFORE.json AFTER.json

Prints each figure's change between two runs written with --json (two --handler runs, or two suite
runs) and flags the changes beyond the runs' own spread (per-round ranges that do not overlap).
`;

async function handlerMain(args: string[]): Promise<number> {
  const options = parseHandlerArgs(args);
  if (options.help) {
    process.stdout.write(HANDLER_USAGE);
    return 0;
  }
  const results = await runHandlerBench(options, createProgress(), ownPackage().version);
  process.stdout.write(renderHandlerReport(results));
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
    process.stderr.write(`wrote ${options.json}\n`);
  }
  if (options.report !== undefined) {
    writeFileSync(options.report, handlerReportHtml(results));
    process.stderr.write(`wrote ${options.report}\n`);
  }
  if (results.recommendation.mode === "none") {
    process.stderr.write(`neurobus bench: ${results.recommendation.reason}\n`);
    return 1;
  }
  return 0;
}

function compareMain(args: string[]): number {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(COMPARE_USAGE);
    return 0;
  }
  if (args.length !== 2)
    throw new BenchUsageError(
      `bench compare takes two JSON files, got ${args.length} argument${args.length === 1 ? "" : "s"}`,
    );
  const [before, after] = args as [string, string];
  process.stdout.write(renderComparison(compareFiles(before, after), before, after));
  return 0;
}

function usageFor(args: string[]): string {
  if (args[0] === "compare") return COMPARE_USAGE;
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) return `${SUITE_USAGE}\n${HANDLER_USAGE}`;
  return args.some((a) => a === "--handler" || a.startsWith("--handler=")) ? HANDLER_USAGE : SUITE_USAGE;
}

/** Runs `neurobus bench ...args`. @returns the exit status. */
export async function main(args: string[]): Promise<number> {
  try {
    if (args[0] === "compare") return compareMain(args.slice(1));
    if (args.some((a) => a === "--handler" || a.startsWith("--handler="))) return await handlerMain(args);
    return await suiteMain(args, createProgress());
  } catch (err) {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`neurobus bench: ${err.message}\n\n${usageFor(args)}`);
      return 2;
    }
    if (err instanceof BenchRunError) {
      process.stderr.write(`neurobus bench: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`neurobus bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
