/**
 * The package as a user gets it: a clean tree (the repository's files, no dist/) is packed with
 * `npm pack` (whose `prepare` builds it), the tarball is installed into a fresh app, and the app
 * imports it, runs the README's quick start and an offloaded handler, and type-checks against the
 * shipped types. Slow-ish (a build and an install, ~30-60 s on a busy 2-core machine); it needs
 * no network when the npm cache holds the dependencies, as it does after `npm ci`.
 *
 * In test/package/, not beside a part of src/: it checks the package as a whole (what it ships,
 * its documentation), as a user meets it.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];

let work: string;
let tarball: string;
let app: string;

/** The files of a fresh clone: tracked and new (not ignored) files, so no dist/ and no node_modules. */
async function cloneTree(into: string): Promise<void> {
  const { stdout } = await exec("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  });
  for (const file of stdout.split("\0").filter((f) => f !== "")) {
    const to = join(into, file);
    mkdirSync(dirname(to), { recursive: true });
    try {
      cpSync(join(ROOT, file), to);
    } catch (err) {
      // A file deleted in the working tree but still tracked is not part of the clone to pack.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  // The clone's devDependencies (tsc for `prepare`) are the project's, as after `npm ci`.
  symlinkSync(join(ROOT, "node_modules"), join(into, "node_modules"), "dir");
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "neurobus-pack-"));
  const clone = join(work, "clone");
  await cloneTree(clone);
  const { stdout } = await exec(npm, ["pack", "--json", "--pack-destination", work, ...quiet], {
    cwd: clone,
    maxBuffer: 16 << 20,
  });
  const packed = JSON.parse(stdout) as { filename: string }[];
  tarball = join(work, packed[0]!.filename);

  app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "fresh-app", private: true, type: "module" }));
  await exec(npm, ["install", tarball, "--prefer-offline", ...quiet], { cwd: app, maxBuffer: 16 << 20 });
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("npm pack from a clean tree, installed in a fresh app", () => {
  it("ships the built library, the worker, the types, README and LICENSE, and nothing else", async () => {
    const { stdout } = await exec("tar", ["-tzf", tarball], { maxBuffer: 16 << 20 });
    const files = stdout
      .split("\n")
      .filter((f) => f !== "")
      .map((f) => f.replace(/^package\//, ""));
    for (const needed of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/transport/nats.js",
      "dist/workers/entry.cjs",
      "dist/workers/dispatch.js",
    ]) {
      expect(files).toContain(needed);
    }
    // dist/bench is allowed: the `neurobus bench` command may ship the benchmark suite.
    expect(files.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/(src|workers|bench)\/.+)$/.test(f))).toEqual(
      [],
    );
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("ships no source map that points at a file it does not ship: every map carries its sources", () => {
    const installed = join(app, "node_modules/@neurectomy/event-bus");
    const maps: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".map")) maps.push(path);
      }
    };
    walk(join(installed, "dist"));
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(map, "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(
        sourcesContent!.every((text) => typeof text === "string" && text.length > 0),
        map,
      ).toBe(true);
    }
  });

  it("imports and runs the README's quick start and an offloaded handler", async () => {
    writeFileSync(
      join(app, "compress.js"),
      `import { deflateSync } from "node:zlib";
export function handle(event) { return deflateSync(Buffer.from(event.data.payload)).length; }
`,
    );
    writeFileSync(
      join(app, "quick-start.js"),
      `import { Event, EventBus, EventType, offload } from "@neurectomy/event-bus";

const bus = new EventBus({ workers: { maxThreads: 1 } });
bus.subscribe("task.completed", async (event) => {
  console.log(\`Task completed: \${event.data.task_id}\`);
  console.log(\`Result: \${event.data.result}\`);
});
bus.subscribe("compression.*", offload(new URL("./compress.js", import.meta.url), "handle", { timeoutMs: 5000 }));

const result = await bus.emit(new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1", result: "success" }));
const offloaded = await bus.emit(new Event("compression.started", "w", { payload: "x".repeat(1000) }));
console.log(JSON.stringify({ result, offloaded }));
await bus.close();
`,
    );
    const { stdout } = await exec(process.execPath, ["quick-start.js"], { cwd: app });
    const lines = stdout.trim().split("\n");
    expect(lines.slice(0, 2)).toEqual(["Task completed: t1", "Result: success"]);
    const { result, offloaded } = JSON.parse(lines[2]!) as Record<string, Record<string, unknown>>;
    expect(result).toMatchObject({ matched: 1, delivered: 1, filtered: 0, failed: 0, errors: [] });
    expect(offloaded).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
  });

  it("type-checks a strict TypeScript app against the shipped types", async () => {
    writeFileSync(
      join(app, "typed.ts"),
      `import { Event, EventBus, type EmitResult } from "@neurectomy/event-bus";
interface Events { "task.completed": { task_id: string } }
const bus = new EventBus<Events>();
bus.subscribe("task.*", (e) => e.data.task_id.toUpperCase());
const done: Promise<EmitResult> = bus.emit(new Event("task.completed", "w", { task_id: "t1" }));
// @ts-expect-error: the payload does not fit "task.completed"
void bus.emit(new Event("task.completed", "w", { task: 1 }));
export { done };
`,
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(ROOT, "node_modules/@types")],
          types: ["node"],
        },
        files: ["typed.ts"],
      }),
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const { stdout } = await exec(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: app }).catch(
      (err: { stdout: string }) => ({ stdout: err.stdout }),
    );
    expect(stdout).toBe("");
  }, 120_000);

  it("changes no global on import (Symbol.dispose comes from Node 20.4+, which engines requires)", async () => {
    writeFileSync(
      join(app, "globals.js"),
      `const snapshot = () => [...Reflect.ownKeys(globalThis), ...Reflect.ownKeys(Symbol).map((k) => "Symbol." + String(k))].map(String).sort();
// The dependencies first: what they define (zod keeps a registry on globalThis) is theirs.
await Promise.all([import("zod"), import("piscina"), import("nanoid")]);
const before = snapshot();
await import("@neurectomy/event-bus");
await import("@neurectomy/event-bus/nats").catch(() => undefined); // its peer dependencies are not installed here
console.log(JSON.stringify({ added: snapshot().filter((k) => !before.includes(k)) }));
`,
    );
    const { stdout } = await exec(process.execPath, ["globals.js"], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ added: [] });
    const manifest = JSON.parse(readFileSync(join(app, "node_modules/@neurectomy/event-bus/package.json"), "utf8")) as {
      engines: { node: string };
    };
    expect(manifest.engines.node).toBe(">=20.4.0");
  });

  it("is ESM only: require() fails, and the README says so in its first screen", async () => {
    writeFileSync(
      join(app, "require.cjs"),
      `try { require("@neurectomy/event-bus"); console.log("loaded"); } catch (err) { console.log(err.code); }\n`,
    );
    const { stdout } = await exec(process.execPath, ["require.cjs"], { cwd: app });
    expect(stdout.trim()).not.toBe("loaded");
    const firstScreen = readFileSync(join(app, "node_modules/@neurectomy/event-bus/README.md"), "utf8")
      .split("\n")
      .slice(0, 40)
      .join("\n");
    expect(firstScreen).toContain("npm install @neurectomy/event-bus");
    expect(firstScreen).toMatch(/ESM only/);
  });
});
