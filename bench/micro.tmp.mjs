import { makeTopics, makePatterns } from "/work/wt-bench/dist/bench/scenarios/matcher.js";
import { TopicTrie } from "/work/wt-bench/dist/src/pattern/trie.js";
import { parsePattern } from "/work/wt-bench/dist/src/pattern/grammar.js";
import qlobber from "qlobber";
const topics = makeTopics(42, 4096);
const pats = makePatterns(11000, 10000);
const trie = new TopicTrie(); const q = new qlobber.Qlobber();
for (const p of pats) { trie.add(parsePattern(p.ours), {seq: p.id}); q.add(p.amqp, p.id); }
function time(name, f) { let s = 0; for (let r = 0; r < 3; r++) for (const t of topics) s += f(t); const t0 = performance.now(); for (let r = 0; r < 60; r++) for (const t of topics) s += f(t); console.log(name.padEnd(10), ((performance.now()-t0)*1e6/(60*topics.length)).toFixed(0), "ns", s); }
time("split", t => t.split(".").length);
time("trie", t => trie.matchUncached(t).length);
time("qlobber", t => q.match(t).length);
time("trie", t => trie.matchUncached(t).length);
time("qlobber", t => q.match(t).length);
