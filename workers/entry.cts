/**
 * The worker entry Piscina loads, in CommonJS. Piscina loads its entry with require() first, and
 * on Node 20.19 and later require() of an ES module instantiates it synchronously: a thread
 * terminated during that (a bus closed while its pool starts, a pool replaced, a watchdog) aborts
 * the whole process with "FATAL ERROR: v8::Module::IsGraphAsync must be used on an instantiated
 * module". This file is CommonJS, so require() of it loads no ES module; the entry proper
 * (dispatch.js) is loaded by import(), asynchronously, where a termination ends only the thread.
 */
type RunBatch = (task: unknown) => Promise<unknown>;

let runBatch: RunBatch | null = null;

async function run(task: unknown): Promise<unknown> {
  runBatch ??= ((await import("./dispatch.js")) as { default: RunBatch }).default;
  return runBatch(task);
}

export = run;
