import { describe, expect, it } from "vitest";
import { Event, EventBus, EventType } from "../src/index.js";

describe("seed example: basic subscribe and publish", () => {
  it("delivers a task.completed event to its handler", async () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.subscribe("task.completed", (event) => {
      seen.push(event.data["task_id"]);
    });
    const result = await bus.emit(new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1", result: "success" }));
    expect(seen).toEqual(["t1"]);
    expect(result).toMatchObject({ matched: 1, delivered: 1, filtered: 0, failed: 0, errors: [] });
    await bus.close();
  });
});
