import { awaitedEmits, busWith, prebuiltEvents } from "/work/wt-bench/dist/bench/scenarios/dispatch.js";
const events = prebuiltEvents(1024);
const stats = process.argv[2] !== "off";
const bus = busWith(Number(process.argv[3] ?? 1), stats ? {} : { stats: false }); const run = awaitedEmits(bus, events);
await run(100000);
const t0 = performance.now(); await run(2e6); console.log(((performance.now() - t0) * 1e6 / 2e6).toFixed(0), "ns");
