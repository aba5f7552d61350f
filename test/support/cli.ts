/**
 * For the CLI suites (test/cli/, test/bench/): the path of the built `neurobus` command and a
 * child process's exit code and output.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The built `neurobus` command (the tests run after `npm run build`). */
export const CLI = fileURLToPath(new URL("../../dist/src/cli/neurobus.js", import.meta.url));

/** A child process's exit code and output, whether it exited 0 or not. */
export async function exitOf(
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, ...options });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
