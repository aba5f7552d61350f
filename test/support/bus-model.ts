/**
 * A reference model of the bus's seed semantics, for the model-based fuzzer: who receives what,
 * history and every counter. Deliberately naive (a list scan per emit) and independent of src/:
 * it matches with the reference matcher (reference-matcher.ts, written from the pattern grammar
 * of docs/architecture.md and checked against pattern-table.ts), not with src/pattern.
 */
import { referenceMatches } from "./reference-matcher.js";

export type HandlerKind = "sync" | "async" | "throw" | "async-throw";
export type FilterKind = "none" | "even" | "throws" | "async-even";

export interface ModelSub {
  label: string;
  pattern: string;
  handler: HandlerKind;
  filter: FilterKind;
  once: boolean;
  /** When called, unsubscribes the subscription with this label (from inside the handler). */
  unsubscribes: string | null;
  /** When called, subscribes a new sync handler with this pattern (from inside the handler). */
  subscribes: string | null;
}

export interface ModelEvent {
  id: string;
  type: string;
  n: number;
}

export interface Outcome {
  matched: number;
  delivered: number;
  filtered: number;
  failed: number;
}

export class BusModel {
  subs: ModelSub[] = [];
  history: ModelEvent[] = [];
  total = 0;
  counts = new Map<string, number>();
  delivered = 0;
  filteredOut = 0;
  failed = 0;
  /** Handler calls whose order is fixed: (label, event id), in call order. */
  calls: string[] = [];
  /** Calls behind an async filter: their order depends on latency, so only the set is kept. */
  lateCalls: string[] = [];
  private spawned = 0;

  constructor(readonly maxHistory: number) {}

  subscribe(sub: ModelSub): void {
    this.subs.push(sub);
  }

  unsubscribe(label: string): boolean {
    const i = this.subs.findIndex((s) => s.label === label);
    if (i < 0) return false;
    this.subs.splice(i, 1);
    return true;
  }

  /** The label the next subscription made from inside a handler gets (the test mirrors it). */
  nextSpawnLabel(): string {
    return `spawn${this.spawned++}`;
  }

  emit(event: ModelEvent): Outcome {
    this.total++;
    this.counts.set(event.type, (this.counts.get(event.type) ?? 0) + 1);
    if (this.maxHistory > 0) {
      this.history.push(event);
      if (this.history.length > this.maxHistory) this.history.shift();
    }
    const matched = this.subs.filter((s) => referenceMatches(s.pattern, event.type));
    const out: Outcome = { matched: matched.length, delivered: 0, filtered: 0, failed: 0 };
    for (const sub of matched) {
      if (sub.filter === "throws") {
        out.failed++;
        continue;
      }
      if ((sub.filter === "even" || sub.filter === "async-even") && event.n % 2 !== 0) {
        out.filtered++;
        continue;
      }
      if (sub.once) {
        // Claimed by an earlier event (possible only while it is still in this emit's match set).
        if (!this.subs.includes(sub)) {
          out.filtered++;
          continue;
        }
        this.unsubscribe(sub.label);
      }
      (sub.filter === "async-even" ? this.lateCalls : this.calls).push(`${sub.label}:${event.id}`);
      if (sub.unsubscribes !== null) this.unsubscribe(sub.unsubscribes);
      if (sub.subscribes !== null) {
        this.subscribe({
          label: this.nextSpawnLabel(),
          pattern: sub.subscribes,
          handler: "sync",
          filter: "none",
          once: false,
          unsubscribes: null,
          subscribes: null,
        });
      }
      if (sub.handler === "throw" || sub.handler === "async-throw") out.failed++;
      else out.delivered++;
    }
    this.delivered += out.delivered;
    this.filteredOut += out.filtered;
    this.failed += out.failed;
    return out;
  }

  resetStats(): void {
    this.total = 0;
    this.counts.clear();
    this.delivered = 0;
    this.filteredOut = 0;
    this.failed = 0;
  }

  patterns(): string[] {
    return [...new Set(this.subs.map((s) => s.pattern))].sort();
  }
}
