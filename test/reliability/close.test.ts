/**
 * close() under load. Every emit accepted before close() settles delivered or failed (EBUS_CLOSED
 * only with close({ timeoutMs })); later emits reject with EBUS_CLOSED; nothing stays pending; and
 * the process exits by itself afterwards (checked in a child process against dist/).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Event, EventBus, type EmitResult } from "../../src/index.js";
import { hops } from "../support/async.js";
import { size } from "../support/random.js";

const SCRIPT = fileURLToPath(new URL("../support/scripts/close-under-load.mjs", import.meta.url));
const STARTING = fileURLToPath(new URL("../support/scripts/close-while-starting.mjs", import.meta.url));
/** Generous: the child needs about a second; it only has to exit on its own, not fast. */
const EXIT_DEADLINE_MS = 25_000;

interface ChildReport {
  accepted: number;
  resolved: number;
  balanced: boolean;
  delivered: number;
  failed: number;
  codes: Record<string, number>;
  afterClose: string[];
  afterCloseCount: number;
  inFlight: number;
  workerInFlight: number;
  onError: number;
  onErrorCodes: string[];
}

/** Runs the script; resolves with its exit code, or "killed" if it was still alive at the deadline. */
function runChild<R = ChildReport>(
  args: string[],
  script = SCRIPT,
  deadlineMs = EXIT_DEADLINE_MS,
): Promise<{ code: number | "killed"; report: R | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let killed = false;
    const deadline = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, deadlineMs);
    child.on("exit", (code) => {
      clearTimeout(deadline);
      const last = stdout.trim().split("\n").pop() ?? "";
      let report: R | null = null;
      try {
        report = JSON.parse(last) as R;
      } catch {
        report = null;
      }
      resolve({ code: killed ? "killed" : (code ?? -1), report, stderr });
    });
  });
}

describe("close() under load", () => {
  it("in-process: accepted emits all settle, later ones reject, nothing stays in flight", async () => {
    const bus = new EventBus({ onError: () => undefined });
    bus.subscribe("load.*", () => hops(1 + Math.floor(Math.random() * 8)));
    bus.subscribe("load.*", () => undefined);
    const total = size(4000, 100_000);
    const accepted: Promise<EmitResult>[] = [];
    const late: Promise<unknown>[] = [];
    let closing: Promise<void> | null = null;
    for (let i = 0; i < total; i++) {
      const promise = bus.emit(new Event("load.x", "test", { i }));
      if (closing === null) accepted.push(promise);
      else
        late.push(
          promise.then(
            () => "resolved",
            (e: { code?: string }) => e.code,
          ),
        );
      if (i === total / 2) closing = bus.close();
    }
    await closing;
    // close() resolved only after every accepted emit had settled.
    expect(bus.getStats().inFlight).toBe(0);
    const results = await Promise.all(accepted);
    expect(results.every((r) => r.matched === 2 && r.delivered === 2)).toBe(true);
    expect(new Set(await Promise.all(late))).toEqual(new Set(["EBUS_CLOSED"]));
    expect(late).toHaveLength(total / 2 - 1);
    expect(() => bus.subscribe("x", () => undefined)).toThrow(expect.objectContaining({ code: "EBUS_CLOSED" }));
  });

  it("a child process emitting in-process and offloaded, closed mid-load, settles everything and exits by itself", async () => {
    const events = size(4000, 40_000);
    const { code, report, stderr } = await runChild(["drain", String(events)]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(report).not.toBeNull();
    const r = report!;
    expect(r.resolved).toBe(r.accepted);
    expect(r.balanced).toBe(true);
    // Without timeoutMs nothing fails: every accepted event was delivered, none closed.
    expect(r.codes).toEqual({});
    expect(r.onError).toBe(0);
    expect(r.delivered).toBe(r.accepted + Math.floor(r.accepted / 2));
    expect(r.afterClose).toEqual(["EBUS_CLOSED"]);
    expect(r.afterCloseCount).toBe(events - r.accepted);
    expect({ inFlight: r.inFlight, workerInFlight: r.workerInFlight }).toEqual({ inFlight: 0, workerInFlight: 0 });
  });
});

describe("regressions", () => {
  it(
    "a bus closed while its threads are still loading does not take the process down (60ed7b3)",
    async () => {
      // 60ed7b3: on Node 20.19+, Piscina's require() of an ES-module entry loads it synchronously,
      // and a thread terminated meanwhile aborted the process (FATAL ERROR: v8::Module::IsGraphAsync);
      // the pool's entry is CommonJS since.
      const buses = size(30, 150);
      // Each bus starts four threads and closes: about 0.2 s on an idle 2-core machine, several times
      // that beside the other reliability suites (the 150 of RELIABILITY_LONG took 29 s alone).
      const { code, report, stderr } = await runChild<{
        buses: number;
        settled: number;
        codes: Record<string, number>;
      }>([String(buses)], STARTING, Math.max(EXIT_DEADLINE_MS, buses * 600));
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(report?.settled).toBe(buses);
      // An event the pool had not run by close() fails with EBUS_CLOSED; nothing else.
      expect(Object.keys(report!.codes).filter((c) => c !== "EBUS_CLOSED")).toEqual([]);
    },
    size(30_000, 120_000),
  );

  // 56a7bcc: close({ timeoutMs }) reported EBUS_WORKER_CRASHED for the queued batches that Piscina's destroy() rejects.
  it("close({ timeoutMs }) fails what is still running with EBUS_CLOSED, and the child still exits by itself (56a7bcc)", async () => {
    const events = size(2000, 20_000);
    const { code, report, stderr } = await runChild(["timeout", String(events)]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const r = report!;
    expect(r.resolved).toBe(r.accepted);
    expect(r.balanced).toBe(true);
    expect(Object.keys(r.codes)).toEqual(["EBUS_CLOSED"]);
    // onError hears each of those once, and nothing else: threads stopped by close() did not crash.
    expect({ onError: r.onError, codes: r.onErrorCodes }).toEqual({ onError: r.failed, codes: ["EBUS_CLOSED"] });
    // Every in-process delivery hangs, so each accepted event has at least that one closed.
    expect(r.codes.EBUS_CLOSED).toBeGreaterThanOrEqual(r.accepted);
    expect(r.afterClose).toEqual(["EBUS_CLOSED"]);
    expect({ inFlight: r.inFlight, workerInFlight: r.workerInFlight }).toEqual({ inFlight: 0, workerInFlight: 0 });
  });
});
