import { StatsBlock } from "/work/wt-bench/dist/src/stats/stats-block.js";
const sb = StatsBlock.create({ workerStripes: 4, typeCapacity: 1024 });
for (let k = 0; k < 3; k++) {
let t0 = performance.now(); for (let i = 0; i < 1e7; i++) sb.countEmit("task.completed"); console.log("countEmit", ((performance.now() - t0) * 1e6 / 1e7).toFixed(1), "ns");
t0 = performance.now(); for (let i = 0; i < 1e7; i++) sb.countDeliveries(1, 0, 0); console.log("countDeliveries", ((performance.now() - t0) * 1e6 / 1e7).toFixed(1), "ns");
}
console.log(sb.snapshot().emitted);
