import { awaitedEmits, busWith, prebuiltEvents } from "/work/wt-bench/dist/bench/scenarios/dispatch.js";
const events = prebuiltEvents(1024);
const mode = process.argv[2], h = Number(process.argv[3] ?? 1);
const opts = mode === "off" ? { stats: false } : mode === "nosample" ? { stats: { sampleEvery: 1e9 } } : {};
const run = awaitedEmits(busWith(h, opts), events);
await run(200000);
const t = []; for (let k = 0; k < 25; k++) { const c0 = process.cpuUsage(); await run(50000); const c = process.cpuUsage(c0); t.push((c.user + c.system) * 1e3 / 50000); }
console.log(mode, h, Math.min(...t).toFixed(0));
