/**
 * `neurobus bench` from an installed package without its devDependencies (the package copied as
 * npm would install it): the scenarios that need a peer are skipped, saying how to add it, and
 * the others run.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exitOf } from "../support/cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * An app with this package installed as npm would (package.json, dist/ copied: symlinks would
 * resolve back to this checkout and its devDependencies) and its runtime dependencies only.
 */
function installedWithoutDevDependencies(): string {
  const app = mkdtempSync(join(tmpdir(), "bench-installed-"));
  const pkg = join(app, "node_modules", "@neurectomy", "event-bus");
  mkdirSync(pkg, { recursive: true });
  cpSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  for (const dir of ["dist/src", "dist/workers", "dist/bench"])
    cpSync(join(ROOT, dir), join(pkg, dir), { recursive: true });
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(dependencies))
    symlinkSync(join(ROOT, "node_modules", name), join(app, "node_modules", name), "dir");
  return pkg;
}

describe("neurobus bench from an installed package without devDependencies", () => {
  it("skips the scenarios that need a peer, saying how to add it, and runs the others", async () => {
    const pkg = installedWithoutDevDependencies();
    const json = join(pkg, "..", "..", "..", "suite.json");
    const report = join(pkg, "..", "..", "..", "suite.html");
    const cli = join(pkg, "dist", "src", "cli", "neurobus.js");
    const { code, stdout, stderr } = await exitOf(
      [
        cli,
        "bench",
        "--quick",
        "--only",
        "matcher",
        "--only",
        "stats",
        "--only",
        "latency",
        "--json",
        json,
        "--report",
        report,
      ],
      { cwd: join(pkg, "..", "..", "..") },
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(
      'Skipped: scenario "matcher" compares against qlobber, mqemitter, eventemitter2, not installed here. Add them with `npm i -D qlobber mqemitter eventemitter2` to run it.',
    );
    expect(stdout).toContain("`npm i -D emittery`");
    // The stats scenario needs no peer: its table is there, with its rounds and samples.
    expect(stdout).toMatch(/### Stats on against stats: false \(per event\)/);
    expect(stdout).toMatch(/2 rounds per task/);
    const results = JSON.parse(readFileSync(json, "utf8")) as {
      skipped: { name: string; missing: string[] }[];
      scenarios: Record<string, unknown>;
      environment: { libraries: Record<string, string> };
    };
    expect(results.skipped).toEqual([
      { name: "matcher", missing: ["qlobber", "mqemitter", "eventemitter2"] },
      { name: "latency", missing: ["emittery"] },
    ]);
    expect(Object.keys(results.scenarios)).toEqual(["stats"]);
    expect(Object.keys(results.environment.libraries)).toEqual(["@neurectomy/event-bus"]);
    const html = readFileSync(report, "utf8");
    expect(html.match(/<svg\b/g)).toHaveLength(1);
    expect(html).toContain("operations per second");
  }, 120_000);
});
