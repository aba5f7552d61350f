/**
 * The options of `neurobus bench --handler` (bench/handler/options.ts): the defaults the help
 * text states, every option's value, each bad value refused with a clear error; and the built
 * CLI's usage errors (exit status 2), --version and help.
 */
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultThreads, parseHandlerArgs, type HandlerOptions } from "../../bench/handler/options.js";
import { BenchUsageError } from "../../bench/usage-error.js";
import { CLI, exitOf } from "../support/cli.js";
import { FIXTURES } from "../support/offload.js";

const HANDLER = "bench-handlers.mjs#work";

function parsed(args: string[], parallelism = 6): HandlerOptions {
  const result = parseHandlerArgs(args, FIXTURES, parallelism);
  if (result.help) throw new Error("unexpected --help");
  return result;
}

function usageError(args: string[]): string {
  try {
    parseHandlerArgs(args, FIXTURES, 2);
  } catch (err) {
    expect(err).toBeInstanceOf(BenchUsageError);
    expect((err as BenchUsageError).code).toBe("ERR_BENCH_USAGE");
    return (err as Error).message;
  }
  throw new Error(`no error for ${args.join(" ")}`);
}

describe("neurobus bench --handler: options", () => {
  it("resolves the defaults the help text states", () => {
    const o = parsed(["--handler", HANDLER]);
    expect(o.exportName).toBe("work");
    expect(o.module.href).toMatch(/test\/support\/fixtures\/bench-handlers\.mjs$/);
    expect(o).toMatchObject({
      type: "bench.event",
      events: 10_000,
      seconds: 10,
      rate: null,
      warmup: 1000,
      rounds: 3,
      timeoutMs: 30_000,
      payloads: [{}],
    });
    expect(o.threads).toEqual([1, 2, 4, 6]);
    // 2 x the largest thread count x the offload batch size (64).
    expect(o.window).toBe(2 * 6 * 512);
  });

  it("takes FILE alone as the default export, and every option's value", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-options-"));
    writeFileSync(join(dir, "payload.json"), JSON.stringify([{ a: 1 }, { a: 2 }]));
    writeFileSync(join(dir, "h.mjs"), "export default () => {};\n");
    const o = parseHandlerArgs(
      [
        "--handler",
        "h.mjs",
        "--payload",
        "payload.json",
        "--type",
        "order.placed",
        "--events",
        "2_000",
        "--seconds",
        "1.5",
        "--threads",
        "4,1,2,2",
        "--rate",
        "500",
        "--window",
        "32",
        "--warmup",
        "0",
        "--rounds",
        "2",
        "--timeout",
        "250",
        "--json",
        "o.json",
        "--report",
        "o.html",
      ],
      dir,
    );
    expect(o).toMatchObject({
      exportName: "default",
      payloads: [{ a: 1 }, { a: 2 }],
      type: "order.placed",
      events: 2000,
      seconds: 1.5,
      threads: [1, 2, 4],
      rate: 500,
      window: 32,
      warmup: 0,
      rounds: 2,
      timeoutMs: 250,
      json: "o.json",
      report: "o.html",
    });
  });

  it("tries 1, 2, 4 ... threads up to the available parallelism", () => {
    expect(defaultThreads(1)).toEqual([1]);
    expect(defaultThreads(2)).toEqual([1, 2]);
    expect(defaultThreads(8)).toEqual([1, 2, 4, 8]);
    expect(defaultThreads(12)).toEqual([1, 2, 4, 8, 12]);
  });

  it.each([
    [["--events", "0"], /--events must be a positive integer, got "0"/],
    [["--events", "lots"], /--events must be a positive integer/],
    [["--seconds=-1"], /--seconds must be a positive number/],
    [["--threads", "0"], /--threads must be a comma-separated list of thread counts from 1 to 1024/],
    [["--threads", "1,,2"], /--threads/],
    [["--rate", "fast"], /--rate must be a positive number/],
    [["--window", "1.5"], /--window must be a positive integer/],
    [["--warmup=-3"], /--warmup must be a whole number ≥ 0/],
    [["--rounds", "5", "--events", "4"], /--rounds \(5\) must not exceed --events \(4\)/],
    [["--report", "out.txt"], /--report writes HTML/],
    [["--window", "1000001"], /--window must be at most 1,000,000 emits/],
    [["--timeout", "0"], /--timeout must be a positive number/],
    [["--timeout", "3e9"], /--timeout must be at most 2147483647 ms/],
    [["--type", "a..b"], /--type:/],
    [["--payload", "missing.json"], /--payload: cannot read missing.json as JSON/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])("rejects %j with a clear error", (extra, message) => {
    expect(usageError(["--handler", HANDLER, ...extra])).toMatch(message);
  });

  it("rejects a payload that is not event data, and a missing handler file", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-payload-"));
    writeFileSync(join(dir, "numbers.json"), "[1, 2]");
    writeFileSync(join(dir, "empty.json"), "[]");
    expect(usageError(["--handler", HANDLER, "--payload", join(dir, "numbers.json")])).toMatch(
      /event data must be objects; item 0 .* is number/,
    );
    expect(usageError(["--handler", HANDLER, "--payload", join(dir, "empty.json")])).toMatch(/empty array/);
    expect(usageError(["--handler", "nope.mjs#work"])).toMatch(/--handler: no such file .*nope\.mjs/);
    expect(usageError(["--handler", "bench-handlers.mjs#"])).toMatch(/--handler must be FILE#EXPORT/);
    expect(usageError([])).toMatch(/--handler FILE#EXPORT is required/);
  });
});

describe("neurobus bench: files it cannot use, refused before anything runs", () => {
  it("refuses an output file whose directory is missing or which is a directory, and a handler path that is a directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-out-"));
    expect(usageError(["--handler", HANDLER, "--json", join(dir, "missing", "o.json")])).toMatch(
      /--json: no directory .*missing to write o\.json in/,
    );
    expect(usageError(["--handler", HANDLER, "--json", dir])).toMatch(/--json: .* is a directory; give a file name/);
    expect(usageError(["--handler", HANDLER, "--report", join(dir, "nope", "r.html")])).toMatch(
      /--report: no directory/,
    );
    expect(usageError(["--handler", dir])).toMatch(/--handler: .* is not a file \(give a JavaScript module\)/);
    const spaced = join(dir, "my dir");
    expect(usageError(["--handler", join(spaced, "h.mjs")])).toMatch(/no such file .*my dir\/h\.mjs/);
  });

  it("exits 2 naming a handler module that cannot be imported (a syntax error, TypeScript)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-import-"));
    writeFileSync(join(dir, "broken.mjs"), "export function work( {\n");
    writeFileSync(join(dir, "h.ts"), "export function work(e: unknown): void {}\n");
    const broken = await exitOf([CLI, "bench", "--handler", join(dir, "broken.mjs#work"), "--events", "10"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^neurobus bench: --handler: cannot import .*broken\.mjs: SyntaxError/);
    expect(broken.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const ts = await exitOf([CLI, "bench", "--handler", join(dir, "h.ts#work"), "--events", "10"]);
    expect(ts.code).toBe(2);
    expect(ts.stderr).toMatch(
      /cannot import .*h\.ts \(a worker thread runs JavaScript: compile it and give the \.js\)/,
    );
  });

  it("exits 1, saying why, when every measured event failed", async () => {
    const { code, stdout, stderr } = await exitOf([
      CLI,
      "bench",
      "--handler",
      `${FIXTURES}bench-handlers.mjs#fails`,
      "--events",
      "20",
      "--threads",
      "1",
      "--rounds",
      "1",
      "--warmup",
      "0",
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/\*\*Advice:\*\* no advice: every measured event failed \(first error: .*handler failure/);
    expect(stderr).toMatch(/neurobus bench: no advice: every measured event failed/);
  });

  it("exits 1, saying which mode and why, when a handler never settles (instead of exiting silently with 13)", async () => {
    const { code, stderr } = await exitOf([
      CLI,
      "bench",
      "--handler",
      `${FIXTURES}bench-handlers.mjs#never`,
      "--events",
      "8",
      "--threads",
      "1",
      "--timeout",
      "200",
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^neurobus bench: inline: 1 event still unsettled after 200 ms \(--timeout\)/m);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("neurobus CLI: bench usage errors, --version, help", () => {
  it("exits 2 with the message and the usage on a bad option", async () => {
    const { code, stderr } = await exitOf([CLI, "bench", "--handler", `${FIXTURES}${HANDLER}`, "--threads", "two"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^neurobus bench: --threads must be a comma-separated list/);
    expect(stderr).toMatch(/Usage: neurobus bench --handler FILE#EXPORT/);
  });

  it("exits 2 when the handler module has no such export, naming the ones it has", async () => {
    const { code, stderr } = await exitOf([
      CLI,
      "bench",
      "--handler",
      `${FIXTURES}bench-handlers.mjs#nothing`,
      "--events",
      "10",
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/has no function export "nothing" \(function exports: .*work/);
    expect((await exitOf([CLI, "bench", "--handler", `${FIXTURES}bench-handlers.mjs#notAFunction`])).code).toBe(2);
  });

  it("exits 2 on an unknown suite scenario or option", async () => {
    const bad = await exitOf([CLI, "bench", "--only", "nonesuch"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /unknown scenario nonesuch; known: matcher, dispatch, offload, offload-cost, offload-mixed, offload-pipeline, stats, latency, memory/,
    );
    expect((await exitOf([CLI, "bench", "--repeat", "2"])).code).toBe(2);
    expect((await exitOf([CLI, "bench", "compare", "only-one.json"])).code).toBe(2);
  });

  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    for (const flag of ["--version", "-v"]) {
      const { code, stdout } = await exitOf([CLI, flag]);
      expect(code).toBe(0);
      expect(stdout).toBe(`${version}\n`);
    }
  });

  it("speaks of neurobus in every command's help, not of npm scripts", async () => {
    for (const args of [["bench", "--help"], ["demo", "--help"], ["bench", "compare", "--help"], ["--help"]]) {
      const { code, stdout } = await exitOf([CLI, ...args]);
      expect(code).toBe(0);
      expect(stdout.split("\n")[0]).toMatch(/^Usage: neurobus /);
    }
    const bench = await exitOf([CLI, "bench", "--help"]);
    expect(bench.stdout).toMatch(/--handler FILE#EXPORT/);
    expect(bench.stdout).toMatch(/--rate R/);
    expect(bench.stdout).not.toMatch(/npm (start|run)/);
  });
});
