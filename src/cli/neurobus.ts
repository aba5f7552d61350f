#!/usr/bin/env node
/**
 * The `neurobus` command: `neurobus demo [options]`, `neurobus bench [options]`,
 * `neurobus --version`, `neurobus help`.
 */
import { readFileSync } from "node:fs";
import { endQuietlyOnClosedPipe } from "./closed-pipe.js";
import { demoMain } from "./demo-command.js";

const USAGE = `Usage: neurobus <command> [options]

Commands:
  demo [options]    run the simulated workflow demo; see: neurobus demo --help
  bench [options]   benchmark the bus, or your own handler inline against offloaded
                    (neurobus bench --handler FILE#EXPORT); see: neurobus bench --help
  help              show this help (also -h, --help)

  -v, --version     print the version of @neurectomy/event-bus

Each command's options follow it (neurobus demo --seconds 5); its --help lists them.
Exit status: 2 on a usage error; otherwise the command's own (see its --help).
`;

function version(): string {
  // dist/src/cli/ sits three levels below package.json, in a checkout and in an installed package.
  return (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "demo":
      return demoMain(rest);
    case "bench": {
      // Loaded on demand: the demo and --version do not pay for the benchmark's modules.
      const bench = await import("../../bench/index.js");
      return bench.main(rest);
    }
    case "--version":
    case "-v":
    case "version":
      process.stdout.write(`${version()}\n`);
      return 0;
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

endQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
