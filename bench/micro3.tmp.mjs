import { makeTopics, makePatterns } from "/work/wt-bench/dist/bench/scenarios/matcher.js";
import { TopicTrie } from "/work/wt-bench/dist/src/pattern/trie.js";
import { parsePattern } from "/work/wt-bench/dist/src/pattern/grammar.js";
const topics = makeTopics(42, 4096);
const pats = makePatterns(11000, 10000);
const trie = new TopicTrie();
for (const p of pats) trie.add(parsePattern(p.ours), {seq: p.id});
let s = 0; const t0 = performance.now(); for (let r = 0; r < 300; r++) for (const t of topics) s += trie.matchUncached(t).length; console.log(((performance.now()-t0)*1e6/(300*topics.length)).toFixed(0), "ns");
