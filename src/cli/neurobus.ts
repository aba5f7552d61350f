#!/usr/bin/env node
/**
 * The `neurobus` command: `neurobus demo [options]`, `neurobus bench [options]`, `neurobus help`.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEMO_USAGE, demoMain } from "./demo-command.js";

const USAGE = `Usage: neurobus <command> [options]

Commands:
  demo [options]    run the simulated workflow demo (same as npm start); see: neurobus demo --help
  bench [options]   run the benchmark suite (dist/bench/index.js); options are passed to it
  help              show this help

${DEMO_USAGE.slice(DEMO_USAGE.indexOf("Options:"))}`;

/**
 * Runs the compiled benchmark suite as if by `node dist/bench/index.js ...args` (what `npm run
 * bench` does): the suite is a script that reads process.argv, so argv is set up before import.
 */
async function benchMain(args: string[]): Promise<number> {
  // Resolved at run time, not by the compiler: the suite is built separately and may be absent.
  const suite = new URL("../../bench/index.js", import.meta.url);
  const path = fileURLToPath(suite);
  if (!existsSync(path)) {
    process.stderr.write(`neurobus bench: the benchmark suite is not built (${path} is missing).\nRun \`npm run build\` in a checkout that has bench/, or \`npm run bench\`.\n`);
    return 1;
  }
  process.argv = [process.argv[0]!, path, ...args];
  await import(suite.href);
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "demo":
      return demoMain(rest);
    case "bench":
      return benchMain(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`neurobus: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
