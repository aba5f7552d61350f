import { awaitedEmits, busWith, prebuiltEvents } from "/work/wt-bench/dist/bench/scenarios/dispatch.js";
const events = prebuiltEvents(1024);
const h = Number(process.argv[2] ?? 1);
const runs = { on: awaitedEmits(busWith(h), events), off: awaitedEmits(busWith(h, { stats: false }), events), nosample: awaitedEmits(busWith(h, { stats: { sampleEvery: 1e9 } }), events) };
for (const r of Object.values(runs)) await r(200000);
const tot = { on: [], off: [], nosample: [] };
const N = 50000;
for (let k = 0; k < 25; k++) for (const name of Object.keys(runs)) { const c0 = process.cpuUsage(); await runs[name](N); const c = process.cpuUsage(c0); tot[name].push((c.user + c.system) * 1e3 / N); }
const med = (a) => Math.min(...a);
console.log(h, "handlers cpu ns/emit:", Object.entries(tot).map(([k, v]) => `${k} ${med(v).toFixed(0)}`).join(", "), "| on/off", ((med(tot.on) / med(tot.off) - 1) * 100).toFixed(1) + "%");
