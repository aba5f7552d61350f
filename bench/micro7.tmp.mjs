import { makeTopics, makePatterns } from "/work/wt-bench/dist/bench/scenarios/matcher.js";
import { TopicTrie } from "/work/wt-bench/dist/src/pattern/trie.js";
import { parsePattern } from "/work/wt-bench/dist/src/pattern/grammar.js";
const topics = makeTopics(42, 4096);
const pats = makePatterns(11000, 10000);
const trie = new TopicTrie();
for (const p of pats) trie.add(parsePattern(p.ours), {seq: p.id});
const c = { visits: 0, endEmpty: 0, endHit: 0, midDead: 0, mapGets: 0, mapMiss: 0 };
function walk(node, topic, depth) {
  c.visits++;
  if (depth === topic.length) { if (node.exact) c.endHit++; else c.endEmpty++; return; }
  const seg = topic[depth]; let next;
  if (node.children) { c.mapGets++; next = node.children.get(seg); if (!next) c.mapMiss++; }
  if (node.star) walk(node.star, topic, depth + 1);
  if (next) walk(next, topic, depth + 1);
  if (!next && !node.star && !node.below) c.midDead++;
}
for (const t of topics) walk(trie.root, t.split("."), 0);
for (const k in c) c[k] = (c[k] / topics.length).toFixed(2);
console.log(c);
