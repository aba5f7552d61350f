import { makeTopics, makePatterns } from "/work/wt-bench/dist/bench/scenarios/matcher.js";
import { TopicTrie } from "/work/wt-bench/dist/src/pattern/trie.js";
import { parsePattern } from "/work/wt-bench/dist/src/pattern/grammar.js";
const topics = makeTopics(42, 4096);
const pats = makePatterns(11000, 10000);
const trie = new TopicTrie();
for (const p of pats) trie.add(parsePattern(p.ours), {seq: p.id});
let visits = 0, lists = 0, plookups = 0;
function walk(node, topic, depth, out) {
  visits++;
  if (depth === topic.length) { if (node.exact !== null) out.push(node.exact); return; }
  const segment = topic[depth];
  if (node.prefixes !== null) for (const length of node.prefixLengths) { if (length > segment.length) break; plookups++; const list = node.prefixes.get(length === segment.length ? segment : segment.slice(0, length)); if (list !== undefined) out.push(list); }
  if (node.children !== null) { const next = node.children.get(segment); if (next !== undefined) walk(next, topic, depth + 1, out); }
  if (node.star !== null) walk(node.star, topic, depth + 1, out);
}
for (const t of topics) { const out = []; walk(trie.root, t.split("."), 0, out); lists += out.length; }
console.log({ visits: visits / topics.length, lists: lists / topics.length, plookups: plookups / topics.length });
let s = 0; const t0 = performance.now(); for (let r = 0; r < 20; r++) for (const t of topics) { const out = []; walk(trie.root, t.split("."), 0, out); s += out.length; } console.log(((performance.now()-t0)*1e6/(20*topics.length)).toFixed(0), "ns walk-only (instrumented)");
const pre = topics.map(t => t.split("."));
s = 0; let t1 = performance.now(); for (let r = 0; r < 20; r++) for (const p of pre) { const out = []; walk(trie.root, p, 0, out); s += out.length; } console.log(((performance.now()-t1)*1e6/(20*topics.length)).toFixed(0), "ns walk on pre-split");
t1 = performance.now(); for (let r = 0; r < 20; r++) for (const t of topics) { s += t.split(".").length; } console.log(((performance.now()-t1)*1e6/(20*topics.length)).toFixed(0), "ns split only");
const flat = topics.map(t => t.split(".").join("."));
t1 = performance.now(); for (let r = 0; r < 20; r++) for (const t of flat) { s += t.split(".").length; } console.log(((performance.now()-t1)*1e6/(20*topics.length)).toFixed(0), "ns split of flat strings");
