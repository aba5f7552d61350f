/**
 * The subscriptions of one bus: made from subscribe's arguments, by id, in the trie that matches
 * event types to them, and counted by pattern string (getSubscriptionCount, getStats).
 */
import { parsePattern } from "../pattern/grammar.js";
import { TopicTrie } from "../pattern/trie.js";
import { parseSubscribeArgs, Subscription } from "./subscription.js";

export class SubscriptionRegistry {
  /** The next subscription's place in subscription order. */
  private seq = 0;
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

  /**
   * Checks subscribe's arguments and adds the subscription: null when its signal has aborted
   * already. An abort later calls `unsubscribe` with its id.
   * @throws InvalidPatternError, InvalidHandlerError, InvalidOptionsError
   */
  subscribe(
    pattern: string,
    handler: unknown,
    options: unknown,
    unsubscribe: (subscriptionId: string) => void,
  ): Subscription | null {
    const parsed = parsePattern(pattern);
    const { target, filter, once, signal } = parseSubscribeArgs(handler, options);
    if (signal?.aborted === true) return null;
    const sub = new Subscription({ seq: this.seq++, pattern, parsed, target, filter, once, signal });
    this.add(sub);
    if (signal !== null) {
      sub.abortListener = () => unsubscribe(sub.id);
      signal.addEventListener("abort", sub.abortListener, { once: true });
    }
    return sub;
  }

  private add(sub: Subscription): void {
    this.trie.add(sub.parsed, sub);
    this.byId.set(sub.id, sub);
    this.patternCounts.set(sub.pattern, (this.patternCounts.get(sub.pattern) ?? 0) + 1);
  }

  /** Removes a subscription: the one removed, or undefined when there was none with this id. */
  remove(subscriptionId: string): Subscription | undefined {
    const sub = this.byId.get(subscriptionId);
    if (sub === undefined) return undefined;
    this.byId.delete(subscriptionId);
    if (sub.signal !== null && sub.abortListener !== null) sub.signal.removeEventListener("abort", sub.abortListener);
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
