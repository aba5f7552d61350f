import { EventBus, Event } from "/work/wt-bench/dist/src/index.js";
const bus = new EventBus(); bus.subscribe("task.completed", () => {});
for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < 10000; i++) await bus.emit(new Event("task.completed", "b", { i })); console.log("emit", ((performance.now() - t0) * 100).toFixed(0), "ns"); }
for (let r = 0; r < 3; r++) { const t0 = performance.now(); for (let i = 0; i < 10000; i++) new Event("task.completed", "b", { i }); console.log("new Event", ((performance.now() - t0) * 100).toFixed(0), "ns"); }
