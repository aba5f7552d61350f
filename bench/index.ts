/**
 * `npm run bench [-- --quick] [--only <scenario>] [--json <file>]`
 *
 * Runs the registered scenarios in one process, so every ratio compares figures measured in the
 * same run on the same machine, and prints markdown tables (optionally writes JSON too).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { describeEnvironment, environment, renderTable, type RunConfig } from "./harness.js";
import { registeredScenarios, type Goal, type ScenarioOutput } from "./registry.js";
import "./scenarios/index.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    json: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const all = registeredScenarios();
if (values.help) {
  console.log(`usage: npm run bench -- [--quick] [--only <scenario>]... [--json <file>]\nscenarios: ${all.map((s) => s.name).join(", ")}`);
  process.exit(0);
}
const only = values.only ?? [];
const unknown = only.filter((name) => !all.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${all.map((s) => s.name).join(", ")}`);
  process.exit(2);
}
const selected = only.length === 0 ? all : all.filter((s) => only.includes(s.name));
const config: RunConfig = values.quick ? { quick: true, timeMs: 60, warmupMs: 15, rounds: 1 } : { quick: false, timeMs: 1500, warmupMs: 100, rounds: 3 };
const env = environment();

console.log(`## @neurectomy/event-bus benchmarks${config.quick ? " (--quick smoke run: figures are rough)" : ""}\n`);
console.log(`${describeEnvironment(env)}\n`);
console.log(`Rerun: \`npm run bench${config.quick ? " -- --quick" : ""}\`. Ratios compare figures of this one run; above 1x the task is faster than the reference. Medians and p99 are per operation (p99 of batch means), medians over the rounds in which each table's tasks are measured in turn (${config.rounds} by default${config.quick ? "" : "; 6 for the matcher, 12 for the stats cost"}).\n`);

const outputs: Record<string, ScenarioOutput> = {};
const goals: Goal[] = [];
for (const scenario of selected) {
  const started = performance.now();
  const output = await scenario.run(config, env);
  outputs[scenario.name] = output;
  console.log(`## ${scenario.title}\n`);
  for (const table of output.tables) console.log(`${renderTable(env, table)}\n`);
  for (const text of output.text ?? []) console.log(`${text}\n`);
  goals.push(...(output.goals ?? []));
  console.error(`(${scenario.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

if (goals.length > 0) {
  console.log("## Goals\n");
  console.log("Speed goals are judged on the median over rounds of the ratio measured within each round (both tasks measured close together in time).\n");
  console.log("| goal | measured | met |\n| --- | --- | --- |");
  for (const g of goals) console.log(`| ${g.goal} | ${g.measured} | ${g.met ? "yes" : "**no**"} |`);
  console.log("");
}

if (values.json !== undefined) {
  writeFileSync(values.json, `${JSON.stringify({ environment: env, config, scenarios: outputs, goals }, null, 2)}\n`);
  console.error(`wrote ${values.json}`);
}
