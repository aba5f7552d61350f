const objs = Array.from({length: 20000}, (_, i) => ({ seq: i }));
const bigE = objs.filter((_, i) => i % 97 === 0).slice(0, 100); const bigS = Float64Array.from(bigE.map(o => o.seq));
const smE = [objs[5], objs[700], objs[3000], objs[5001], objs[9000]]; const smS = Float64Array.from(smE.map(o=>o.seq));
function v1(bigEntries, bigSeqs, smallE, smallS) { const out = new Array(bigEntries.length + smallE.length); let o = 0, from = 0;
  for (let s = 0; s < smallE.length; s++) { const seq = smallS[s]; let lo = from, hi = bigSeqs.length; while (lo < hi) { const mid = (lo + hi) >>> 1; if (bigSeqs[mid] < seq) lo = mid + 1; else hi = mid; } while (from < lo) out[o++] = bigEntries[from++]; out[o++] = smallE[s]; }
  while (from < bigEntries.length) out[o++] = bigEntries[from++]; return out; }
function v2(bigEntries, bigSeqs, smallE, smallS) { const out = []; let from = 0;
  for (let s = 0; s < smallE.length; s++) { const seq = smallS[s]; let lo = from, hi = bigSeqs.length; while (lo < hi) { const mid = (lo + hi) >>> 1; if (bigSeqs[mid] < seq) lo = mid + 1; else hi = mid; } while (from < lo) out.push(bigEntries[from++]); out.push(smallE[s]); }
  while (from < bigEntries.length) out.push(bigEntries[from++]); return out; }
function v3(bigEntries, bigSeqs, smallE, smallS) { const out = bigEntries.slice(); 
  for (let s = smallE.length - 1; s >= 0; s--) { const seq = smallS[s]; let lo = 0, hi = bigSeqs.length; while (lo < hi) { const mid = (lo + hi) >>> 1; if (bigSeqs[mid] < seq) lo = mid + 1; else hi = mid; } out.splice(lo, 0, smallE[s]); } return out; }
let s = 0;
for (const [n, f] of [["v1 new Array", v1], ["v2 push", v2], ["v3 slice+splice", v3]]) for (let r = 0; r < 2; r++) { const t0 = performance.now(); for (let i = 0; i < 1e6; i++) s += f(bigE, bigS, smE, smS).length; console.log(n, ((performance.now() - t0)).toFixed(0), "ns/op"); }
