/**
 * The scenario catalogue's types. A scenario lives in its own file under bench/scenarios/ and
 * exports `run`; bench/scenarios/index.ts lists it with its title and the peer libraries it
 * compares against, and loads it only when those are installed (the peers' imports would fail).
 */
import type { Environment, RunConfig, Table } from "./harness.js";
import type { Peer } from "./peers.js";

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

export type ScenarioRun = (config: RunConfig, env: Environment) => Promise<ScenarioOutput>;

export interface Scenario {
  /** The name `--only` selects. */
  name: string;
  title: string;
  /** Peer libraries the scenario imports: it is skipped, with a hint, when one is missing. */
  peers: readonly Peer[];
  load(): Promise<{ run: ScenarioRun }>;
}
