import { makeTopics, makePatterns } from "/work/wt-bench/dist/bench/scenarios/matcher.js";
import { TopicTrie } from "/work/wt-bench/dist/src/pattern/trie.js";
import { parsePattern } from "/work/wt-bench/dist/src/pattern/grammar.js";
const topics = makeTopics(42, 4096);
const pats = makePatterns(11000, 10000);
const trie = new TopicTrie();
for (const p of pats) trie.add(parsePattern(p.ours), {seq: p.id});
function walk(node, topic, depth, out) {
  if (depth === topic.length) { if (node.exact !== null) out.push(node.exact); return; }
  const segment = topic[depth];
  if (node.below) out.push(node.below);
  if (node.children !== null) { const next = node.children.get(segment); if (next !== undefined) walk(next, topic, depth + 1, out); }
  if (node.star !== null) walk(node.star, topic, depth + 1, out);
}
const L = topics.map(t => { const out = []; walk(trie.root, t.split("."), 0, out); return out; });
const hist = {}; for (const l of L) hist[l.length] = (hist[l.length] ?? 0) + 1; console.log("k hist", hist);
const sizes = L.flatMap(l => l.map(x => x.length)); console.log("avg list size", sizes.reduce((a,b)=>a+b,0)/sizes.length, "max", Math.max(...sizes));
function mergeTwo(a, b) { const out = new Array(a.length + b.length); let i = 0, j = 0, o = 0; while (i < a.length && j < b.length) { const x = a[i], y = b[j]; if (x.seq <= y.seq) { out[o++] = x; i++; } else { out[o++] = y; j++; } } while (i < a.length) out[o++] = a[i++]; while (j < b.length) out[o++] = b[j++]; return out; }
function pairwise(lists) { let level = lists; while (level.length > 1) { const next = []; for (let i = 0; i < level.length; i += 2) { const b = level[i + 1]; next.push(b === undefined ? level[i] : mergeTwo(level[i], b)); } level = next; } return level[0]; }
const bySeq = (a, b) => a.seq - b.seq;
function concatSort(lists) { let n = 0; for (const l of lists) n += l.length; const out = new Array(n); let o = 0; for (const l of lists) for (let i = 0; i < l.length; i++) out[o++] = l[i]; out.sort(bySeq); return out; }
function noop(lists) { let n = 0; for (const l of lists) n += l.length; const out = new Array(n); let o = 0; for (const l of lists) for (let i = 0; i < l.length; i++) out[o++] = l[i]; return out; }
function kway(lists) { const k = lists.length; let n = 0; for (const l of lists) n += l.length; const out = new Array(n); const idx = new Array(k).fill(0); for (let o = 0; o < n; o++) { let best = -1, bs = Infinity; for (let q = 0; q < k; q++) { const l = lists[q]; const i = idx[q]; if (i < l.length && l[i].seq < bs) { bs = l[i].seq; best = q; } } out[o] = lists[best][idx[best]++]; } return out; }
for (let rep = 0; rep < 2; rep++) for (const [name, f] of [["pairwise", pairwise], ["concatSort", concatSort], ["copy only", noop], ["kway", kway]]) {
  let s = 0; const t0 = performance.now(); for (let r = 0; r < 50; r++) for (const l of L) { if (l.length > 1) s += f(l).length; } console.log(name.padEnd(12), ((performance.now()-t0)*1e6/(50*L.length)).toFixed(0), "ns");
}
let bigFrac = 0, smallTot = 0, n2 = 0;
for (const l of L) { if (l.length < 2) continue; n2++; const s = l.map(x => x.length).sort((a,b)=>b-a); const tot = s.reduce((a,b)=>a+b,0); bigFrac += s[0]/tot; smallTot += tot - s[0]; }
console.log("avg biggest share", bigFrac/n2, "avg elements outside biggest", smallTot/n2);
console.log(L.slice(0,12).map(l => l.map(x=>x.length).join("+")).join("  "));
