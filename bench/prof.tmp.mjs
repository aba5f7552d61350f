import { makeTopics, makePatterns } from "/work/wt-bench/dist/bench/scenarios/matcher.js";
import { TopicTrie } from "/work/wt-bench/dist/src/pattern/trie.js";
import { parsePattern } from "/work/wt-bench/dist/src/pattern/grammar.js";
import qlobber from "qlobber";
const topics = makeTopics(42, 4096);
const pats = makePatterns(11000, 10000);
const trie = new TopicTrie(); const q = new qlobber.Qlobber();
for (const p of pats) { trie.add(parsePattern(p.ours), {seq: p.id}); q.add(p.amqp, p.id); }
let tot = 0, lists=0; for (const t of topics) tot += trie.matchUncached(t).length;
console.log("avg matches", tot / topics.length);
for (const [name, f] of [["trie", t => trie.matchUncached(t).length], ]) {
  let s = 0; const t0 = performance.now(); for (let r = 0; r < 40; r++) for (const t of topics) s += f(t); console.log(name, ((performance.now()-t0)*1e6/(40*topics.length)).toFixed(0), "ns");
}
