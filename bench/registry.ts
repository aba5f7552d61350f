/**
 * The scenario registry. A scenario lives in its own file under bench/scenarios/, registers
 * itself with `registerScenario`, and is imported once from bench/scenarios/index.ts. Adding a
 * scenario (the worker offload one, say) is one new file and one import line.
 */
import type { Environment, RunConfig, Table } from "./harness.js";

/** What a scenario hands back besides its tables: checks and goal verdicts, in prose and data. */
export interface ScenarioOutput {
  tables: Table[];
  /** Extra markdown (e.g. mismatch counts), printed after the tables. */
  text?: string[];
  /** Goals of the brief judged in this run. */
  goals?: Goal[];
  /** Free-form data written to the JSON output. */
  data?: unknown;
}

export interface Goal {
  goal: string;
  met: boolean;
  measured: string;
}

export interface Scenario {
  /** The name `--only` selects. */
  name: string;
  title: string;
  run(config: RunConfig, env: Environment): Promise<ScenarioOutput>;
}

const scenarios: Scenario[] = [];

export function registerScenario(scenario: Scenario): void {
  if (scenarios.some((s) => s.name === scenario.name)) throw new Error(`scenario ${scenario.name} is registered twice`);
  scenarios.push(scenario);
}

export function registeredScenarios(): readonly Scenario[] {
  return scenarios;
}
