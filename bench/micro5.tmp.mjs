import { EntryList, mergeLists } from "/work/wt-bench/dist/src/pattern/entry-list.js";
const objs = Array.from({length: 20000}, (_, i) => ({ seq: i }));
// shuffle object allocation order vs seq to scatter
const big = EntryList.of(objs.filter((_, i) => i % 97 === 0).slice(0, 100));
const small = EntryList.of([objs[5], objs[700], objs[3000], objs[5001], objs[9000]]);
const small2 = EntryList.of([objs[6], objs[701], objs[3001]]);
let s = 0;
for (const [name, lists] of [["2 lists", [big, small]], ["3 lists", [big, small, small2]]]) {
  for (let r = 0; r < 3; r++) { const t0 = performance.now(); for (let i = 0; i < 1e6; i++) s += mergeLists(lists).length; console.log(name, ((performance.now() - t0)).toFixed(0), "ns/op"); }
}
const t0 = performance.now(); for (let i = 0; i < 1e6; i++) s += big.entries.slice().length; console.log("slice 100", ((performance.now() - t0)).toFixed(0), "ns/op");
const t1 = performance.now(); for (let i = 0; i < 1e6; i++) s += new Float64Array(8).length; console.log("new F64(8)", ((performance.now() - t1)).toFixed(0), "ns/op");
