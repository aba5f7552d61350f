/**
 * The subscriptions of one bus: by id, in the trie that matches event types to them, and counted
 * by pattern string (getSubscriptionCount, getStats).
 */
import { TopicTrie } from "../pattern/trie.js";
import type { Subscription } from "./subscription.js";

export class SubscriptionRegistry {
  private readonly trie = new TopicTrie<Subscription>();
  private readonly byId = new Map<string, Subscription>();
  private readonly patternCounts = new Map<string, number>();

  get size(): number {
    return this.byId.size;
  }

  /** Event types whose match lists the trie has cached (bounded; the memory benchmark reads it). */
  get cachedTopics(): number {
    return this.trie.cachedTopics;
  }

  /** The subscriptions whose pattern matches `eventType`, in subscription order. */
  match(eventType: string): readonly Subscription[] {
    return this.trie.match(eventType);
  }

  add(sub: Subscription): void {
    this.trie.add(sub.parsed, sub);
    this.byId.set(sub.id, sub);
    this.patternCounts.set(sub.pattern, (this.patternCounts.get(sub.pattern) ?? 0) + 1);
  }

  /** Removes a subscription: the one removed, or undefined when there was none with this id. */
  remove(subscriptionId: string): Subscription | undefined {
    const sub = this.byId.get(subscriptionId);
    if (sub === undefined) return undefined;
    this.byId.delete(subscriptionId);
    this.trie.remove(sub.parsed, sub);
    const left = (this.patternCounts.get(sub.pattern) ?? 1) - 1;
    if (left === 0) this.patternCounts.delete(sub.pattern);
    else this.patternCounts.set(sub.pattern, left);
    return sub;
  }

  /** Subscriptions with exactly this pattern string. */
  count(pattern: string): number {
    return this.patternCounts.get(pattern) ?? 0;
  }

  /** The distinct pattern strings subscribed to. */
  patterns(): string[] {
    return [...this.patternCounts.keys()];
  }
}
