/**
 * Event ids (src/event-id.ts): 21 URL-safe characters, unique across many events and pool
 * refills, every position using the whole alphabet; an id given to the constructor is kept.
 *
 * At the top of test/, as src/event-id.ts is at the top of src/ (shared by every part of the code).
 */
import { describe, expect, it } from "vitest";
import { Event } from "../src/index.js";

describe("event ids", () => {
  it("are 21 URL-safe characters, unique across many events (several pool refills)", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const { eventId } = new Event("task.started", "test");
      expect(eventId).toMatch(/^[A-Za-z0-9_-]{21}$/);
      ids.add(eventId);
    }
    expect(ids.size).toBe(20_000);
  });

  it("use the whole alphabet at every position (no position stuck on a subset)", () => {
    const seen = Array.from({ length: 21 }, () => new Set<string>());
    for (let i = 0; i < 5_000; i++) {
      const { eventId } = new Event("task.started", "test");
      for (let p = 0; p < 21; p++) seen[p]!.add(eventId[p]!);
    }
    for (const chars of seen) expect(chars.size).toBe(64);
  });

  it("keeps an id given to the constructor", () => {
    expect(new Event("task.started", "test", {}, undefined, "my-id").eventId).toBe("my-id");
  });
});
