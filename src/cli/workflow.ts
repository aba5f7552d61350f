/**
 * The simulated Neurectomy workload: agents register, then workflows run one after another until
 * the driver's budget or deadline runs out. Each workflow mixes the three ways of emitting:
 *
 *   workflow.started                      awaited
 *   task.started x N                      emitMany
 *   task.completed | failed | skipped     awaited, one by one
 *   agent.heartbeat, compression.*,       un-awaited bursts (bounded concurrency)
 *   storage.uploaded | retrieved | deleted
 *   agent.failed -> agent.recovered       awaited, now and then
 *   workflow.completed | failed           awaited
 *
 * A seeded generator picks the outcomes, so a run's event mix is reproducible.
 */
import { Event, EventType } from "../index.js";
import type { LoadDriver } from "./load-driver.js";

export const AGENTS = 8;
const ORCHESTRATOR = "orchestrator";

function agentId(i: number): string {
  return `agent-${i}`;
}

/** Runs the whole workload through `driver`. @returns the number of workflows started. */
export async function runWorkload(driver: LoadDriver, random: () => number): Promise<number> {
  for (let i = 0; i < AGENTS; i++) {
    await driver.awaited(
      new Event(EventType.AGENT_REGISTERED, agentId(i), {
        agent_id: agentId(i),
        capabilities: ["inference", "storage"],
      }),
    );
  }
  let workflows = 0;
  while (!driver.stopped) {
    await runWorkflow(driver, random, workflows++);
  }
  return workflows;
}

type TaskOutcome = EventType.TASK_COMPLETED | EventType.TASK_FAILED | EventType.TASK_SKIPPED;

async function runWorkflow(driver: LoadDriver, random: () => number, n: number): Promise<void> {
  const workflowId = `wf-${n}`;
  const int = (below: number): number => Math.floor(random() * below);
  const taskCount = 4 + int(12);
  if (
    !(await driver.awaited(
      new Event(EventType.WORKFLOW_STARTED, ORCHESTRATOR, { workflow_id: workflowId, tasks: taskCount }),
    ))
  )
    return;

  const tasks = Array.from({ length: taskCount }, (_, i) => ({
    taskId: `${workflowId}.t${i}`,
    agent: agentId(int(AGENTS)),
  }));
  await driver.many(
    tasks.map(
      (t) =>
        new Event(EventType.TASK_STARTED, t.agent, { task_id: t.taskId, workflow_id: workflowId, agent_id: t.agent }),
    ),
  );

  let criticalFailure = false;
  const completed: typeof tasks = [];
  for (const task of tasks) {
    const roll = random();
    const type: TaskOutcome =
      roll < 0.85 ? EventType.TASK_COMPLETED : roll < 0.95 ? EventType.TASK_FAILED : EventType.TASK_SKIPPED;
    const data: Record<string, unknown> = { task_id: task.taskId, workflow_id: workflowId, agent_id: task.agent };
    if (type === EventType.TASK_FAILED) {
      data["severity"] = random() < 0.3 ? "critical" : "recoverable";
      data["error"] = "model timeout";
      criticalFailure ||= data["severity"] === "critical";
    } else if (type === EventType.TASK_COMPLETED) {
      data["duration_ms"] = 5 + int(500);
      completed.push(task);
    }
    if (!(await driver.awaited(new Event(type, task.agent, data)))) return;
  }

  // Background traffic, not awaited: heartbeats from every agent, then each completed task's
  // artifact is compressed, uploaded, read back (now and then with a bad checksum) and sometimes
  // deleted. `burst` only waits when too many emits are in flight.
  for (let i = 0; i < AGENTS; i++) {
    if (
      !(await driver.burst(
        new Event(EventType.AGENT_HEARTBEAT, agentId(i), { agent_id: agentId(i), load: Number(random().toFixed(2)) }),
      ))
    )
      return;
  }
  for (const task of completed) {
    const blobId = `${task.taskId}.out`;
    const size = 1024 + int(1 << 16);
    const ok =
      (await driver.burst(
        new Event(EventType.COMPRESSION_STARTED, task.agent, { blob_id: blobId, size_bytes: size }),
      )) &&
      (await driver.burst(
        new Event(EventType.COMPRESSION_COMPLETED, task.agent, { blob_id: blobId, ratio: 0.3 + random() * 0.4 }),
      )) &&
      (await driver.burst(new Event(EventType.STORAGE_UPLOADED, task.agent, { blob_id: blobId, size_bytes: size }))) &&
      (await driver.burst(
        new Event(EventType.STORAGE_RETRIEVED, ORCHESTRATOR, {
          blob_id: blobId,
          size_bytes: size,
          checksum_ok: random() >= 0.02,
        }),
      )) &&
      (random() >= 0.25 ||
        (await driver.burst(new Event(EventType.STORAGE_DELETED, ORCHESTRATOR, { blob_id: blobId }))));
    if (!ok) return;
  }

  if (random() < 0.15) {
    const agent = agentId(int(AGENTS));
    const severity = random() < 0.5 ? "critical" : "degraded";
    if (
      !(await driver.awaited(
        new Event(EventType.AGENT_FAILED, agent, { agent_id: agent, severity, reason: "heartbeat missed" }),
      ))
    )
      return;
    if (!(await driver.awaited(new Event(EventType.AGENT_RECOVERED, agent, { agent_id: agent })))) return;
  }

  const end = criticalFailure
    ? new Event(EventType.WORKFLOW_FAILED, ORCHESTRATOR, { workflow_id: workflowId, severity: "critical" })
    : new Event(EventType.WORKFLOW_COMPLETED, ORCHESTRATOR, { workflow_id: workflowId, tasks: taskCount });
  await driver.awaited(end);
}
