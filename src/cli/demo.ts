/**
 * The main job: a bounded demo of the bus under load (a simulated workflow), in-process.
 */
import { Event, EventBus, EventType } from "../index.js";

const EVENTS = 200_000;

async function main(): Promise<void> {
  const bus = new EventBus({ maxHistory: 1000 });
  let tasks = 0;
  let failures = 0;
  bus.subscribe("task.*", () => {
    tasks++;
  });
  bus.subscribe("*.failed", () => {
    failures++;
  });
  bus.subscribe("storage.*", async () => undefined);
  const types = [EventType.TASK_STARTED, EventType.TASK_COMPLETED, EventType.TASK_FAILED, EventType.AGENT_HEARTBEAT, EventType.STORAGE_UPLOADED];
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    await bus.emit(new Event(types[i % types.length]!, `workflow_${i % 10}`, { task_id: `t${i}` }));
  }
  const seconds = (performance.now() - started) / 1000;
  const stats = bus.getStats();
  console.log(`${EVENTS} events in ${seconds.toFixed(2)} s: ${Math.round(EVENTS / seconds)} events/s`);
  console.log(`task handler ran ${tasks} times, failure handler ${failures} times`);
  console.table({ emitted: stats.totalEventsEmitted, delivered: stats.delivered, failed: stats.failed, p50Ms: stats.latency.p50Ms, p99Ms: stats.latency.p99Ms });
  await bus.close();
}

await main();
