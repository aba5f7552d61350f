/**
 * The bus with a logger that throws (src/bus/reporter.ts): a logger's failure never breaks
 * subscribe, unsubscribe or emit. Every test here pins one past bug (see `regressions`).
 */
import { describe, expect, it } from "vitest";
import { Event, type Logger } from "../../src/index.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

function throwingLogger(level: "info" | "debug"): Logger {
  const logger: Logger = { error: () => undefined };
  logger[level] = () => {
    throw new Error(`${level} is broken`);
  };
  return logger;
}

describe("regressions", () => {
  // 6487b9b: a logger whose info() or debug() threw broke subscribe, unsubscribe and emit.
  it("a logger whose debug() throws does not make emit throw or skip handlers (6487b9b)", async () => {
    const bus = newBus({ logger: throwingLogger("debug") });
    const seen: string[] = [];
    bus.subscribe("a.b", (e) => void seen.push(e.eventType));
    const result = await bus.emit(new Event("a.b", "test"));
    expect(result.delivered).toBe(1);
    expect(seen).toEqual(["a.b"]);
    await bus.close();
  });

  it("a logger whose info() throws does not make subscribe or unsubscribe throw (6487b9b)", async () => {
    const bus = newBus({ logger: throwingLogger("info") });
    const id = bus.subscribe("a.b", () => undefined);
    expect(bus.getSubscriptionCount("a.b")).toBe(1);
    expect(bus.unsubscribe(id)).toBe(true);
    expect(bus.getSubscriptionCount()).toBe(0);
    await bus.close();
  });
});
