/**
 * The conformance table run through every matcher: the reference, Event.matches, TopicTrie and
 * the bus (subscribe + emit). They must all agree, pattern by pattern and topic by topic.
 */
import { describe, expect, it } from "vitest";
import { Event, TopicTrie, matchesPattern, parsePattern } from "../../src/index.js";
import { useBuses } from "../support/buses.js";
import { PATTERN_TABLE, TABLE_PATTERNS, TABLE_TOPICS } from "../support/pattern-table.js";
import { referenceMatches } from "../support/reference-matcher.js";

const newBus = useBuses();

const cases = Object.entries(PATTERN_TABLE);

describe("the conformance table itself", () => {
  it("keeps __proto__ as an own pattern, not as the table's prototype", () => {
    expect(Object.prototype.hasOwnProperty.call(PATTERN_TABLE, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(PATTERN_TABLE)).toBe(Object.prototype);
  });

  it.each(cases)("the reference matcher agrees with the table for %s", (pattern, { match, noMatch }) => {
    for (const topic of match) expect(referenceMatches(pattern, topic), topic).toBe(true);
    for (const topic of noMatch) expect(referenceMatches(pattern, topic), topic).toBe(false);
  });
});

describe("Event.matches", () => {
  it.each(cases)("%s", (pattern, { match, noMatch }) => {
    for (const topic of match) expect(new Event(topic, "test").matches(pattern), topic).toBe(true);
    for (const topic of noMatch) expect(new Event(topic, "test").matches(pattern), topic).toBe(false);
  });

  it("agrees with the reference and matchesPattern on every pattern x topic of the table", () => {
    for (const pattern of TABLE_PATTERNS) {
      for (const topic of TABLE_TOPICS) {
        const expected = referenceMatches(pattern, topic);
        expect(new Event(topic, "test").matches(pattern), `${pattern} ~ ${topic}`).toBe(expected);
        expect(matchesPattern(pattern, topic), `${pattern} ~ ${topic}`).toBe(expected);
      }
    }
  });
});

interface Entry {
  seq: number;
  pattern: string;
}

describe("TopicTrie", () => {
  it.each(cases)("%s alone", (pattern, { match, noMatch }) => {
    const trie = new TopicTrie<Entry>();
    const entry = { seq: 0, pattern };
    trie.add(parsePattern(pattern), entry);
    for (const topic of match) expect(trie.match(topic), topic).toEqual([entry]);
    for (const topic of noMatch) expect(trie.match(topic), topic).toEqual([]);
  });

  it("with every pattern of the table at once, returns the reference's matches in seq order", () => {
    const trie = new TopicTrie<Entry>();
    const entries = TABLE_PATTERNS.map((pattern, seq) => ({ seq, pattern }));
    // Added in reverse: the result must still come out in seq order.
    for (const entry of [...entries].reverse()) trie.add(parsePattern(entry.pattern), entry);
    expect(trie.size).toBe(entries.length);
    for (const topic of TABLE_TOPICS) {
      const expected = entries.filter((e) => referenceMatches(e.pattern, topic));
      expect(trie.match(topic), topic).toEqual(expected);
      expect(trie.matchUncached(topic), topic).toEqual(expected);
    }
  });
});

describe("EventBus (subscribe + emit)", () => {
  it.each(cases)("%s", async (pattern, { match, noMatch }) => {
    const bus = newBus();
    const seen: string[] = [];
    bus.subscribe(pattern, (event) => {
      seen.push(event.eventType);
    });
    for (const topic of [...match, ...noMatch]) {
      const result = await bus.emit(new Event(topic, "test"));
      expect(result.matched, topic).toBe(match.includes(topic) ? 1 : 0);
    }
    expect(seen).toEqual(match);
    await bus.close();
  });

  it("with every pattern subscribed, each emit reaches exactly the reference's subscribers, in subscription order", async () => {
    const bus = newBus();
    let got: string[] = [];
    for (const pattern of TABLE_PATTERNS) {
      bus.subscribe(pattern, () => {
        got.push(pattern);
      });
    }
    for (const topic of TABLE_TOPICS) {
      got = [];
      const result = await bus.emit(new Event(topic, "test"));
      const expected = TABLE_PATTERNS.filter((p) => referenceMatches(p, topic));
      expect(got, topic).toEqual(expected);
      expect(result.matched).toBe(expected.length);
      expect(result.delivered).toBe(expected.length);
    }
    await bus.close();
  });

  it("getHistory({ pattern }) filters with the same grammar", async () => {
    const bus = newBus({ maxHistory: TABLE_TOPICS.length });
    for (const topic of TABLE_TOPICS) await bus.emit(new Event(topic, "test"));
    for (const pattern of TABLE_PATTERNS) {
      const types = bus.getHistory({ pattern }).map((e) => e.eventType);
      expect(types, pattern).toEqual(TABLE_TOPICS.filter((t) => referenceMatches(pattern, t)));
    }
    await bus.close();
  });
});
