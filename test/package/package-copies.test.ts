/**
 * Two copies of the package in one app (two versions installed side by side): an Event or an
 * offload() descriptor made by one copy is accepted by the other's bus, because both are
 * recognised by a brand (Symbol.for), not by their class. The second copy is the built package
 * copied to a temporary directory, so its modules (and classes) are distinct from src/'s.
 *
 * In test/package/, not beside a part of src/: it checks the package as a whole (what it ships,
 * its documentation), as a user meets it.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as here from "../../src/index.js";
import { HANDLERS } from "../support/offload.js";

type Package = typeof here;
const ROOT = resolve(import.meta.dirname, "../..");
const dirs: string[] = [];

/** Copies the built package (dist/src, and dist/workers when asked) and imports the copy. */
async function copyOfPackage(withWorkers: boolean): Promise<Package> {
  const dir = mkdtempSync(join(tmpdir(), "neurobus-copy-"));
  dirs.push(dir);
  cpSync(join(ROOT, "dist/src"), join(dir, "dist/src"), { recursive: true });
  if (withWorkers) cpSync(join(ROOT, "dist/workers"), join(dir, "dist/workers"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  // The copy's own dependencies (zod, piscina, nanoid) resolve through the project's.
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return (await import(pathToFileURL(join(dir, "dist/src/index.js")).href)) as Package;
}

let other: Package;
let unbuilt: Package;

beforeAll(async () => {
  other = await copyOfPackage(true);
  unbuilt = await copyOfPackage(false);
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("two copies of the package", () => {
  it("are distinct modules", () => {
    expect(other.Event).not.toBe(here.Event);
    expect(other.EventBus).not.toBe(here.EventBus);
  });

  it("accept each other's events, and instanceof Event holds across them", async () => {
    const bus = new here.EventBus();
    const otherBus = new other.EventBus();
    const seen: string[] = [];
    bus.subscribe("task.*", (e) => void seen.push(`here:${e.source}`));
    otherBus.subscribe("task.*", (e) => void seen.push(`other:${e.source}`));
    const fromOther = new other.Event("task.done", "other-copy", { n: 1 });
    const fromHere = new here.Event("task.done", "this-copy", { n: 2 });
    expect(fromOther instanceof here.Event).toBe(true);
    expect(fromHere instanceof other.Event).toBe(true);
    expect(await bus.emit(fromOther)).toMatchObject({ delivered: 1, failed: 0 });
    expect(await otherBus.emit(fromHere)).toMatchObject({ delivered: 1, failed: 0 });
    expect(await bus.emitMany([fromOther, fromHere])).toHaveLength(2);
    expect(seen).toEqual(["here:other-copy", "other:this-copy", "here:other-copy", "here:this-copy"]);
    await Promise.all([bus.close(), otherBus.close()]);
  });

  it("still refuse an object that only looks like an Event", async () => {
    const bus = new here.EventBus();
    const lookalike = { ...new other.Event("a.b", "s") };
    expect(lookalike instanceof here.Event).toBe(false);
    await expect(bus.emit(lookalike as never)).rejects.toMatchObject({ code: "EBUS_INVALID_EVENT" });
    await bus.close();
  });

  it("accept each other's offload() descriptors", async () => {
    const bus = new here.EventBus({ workers: { maxThreads: 1 } });
    const descriptor = other.offload(HANDLERS, "act");
    expect(descriptor instanceof here.OffloadHandler).toBe(true);
    bus.subscribe("job.*", descriptor);
    expect(await bus.emit(new here.Event("job.run", "s", { action: "ok" }))).toMatchObject({
      matched: 1,
      delivered: 1,
      failed: 0,
    });
    await bus.close();
  });
});

describe("a copy without its worker build", () => {
  it("fails offloaded deliveries with EBUS_WORKER_ENTRY_MISSING naming the fix; in-process handlers still run", async () => {
    const errors: here.BusError[] = [];
    const bus = new unbuilt.EventBus({ onError: (err) => void errors.push(err) });
    bus.subscribe("job.*", unbuilt.offload(HANDLERS, "act"));
    bus.subscribe("job.*", () => undefined);
    const result = await bus.emit(new unbuilt.Event("job.run", "s", { action: "ok" }));
    expect(result).toMatchObject({ matched: 2, delivered: 1, failed: 1 });
    expect(result.errors[0]).toMatchObject({ code: "EBUS_WORKER_ENTRY_MISSING", name: "WorkerEntryMissingError" });
    expect(result.errors[0]!.message).toContain("npm run build");
    await bus.close();
  });
});
