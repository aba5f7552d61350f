import { EventBus, Event } from "/work/wt-bench/dist/src/index.js";
import "/work/wt-bench/dist/bench/scenarios/index.js";
const bus = new EventBus(); bus.subscribe("task.completed", () => {});
const emit = (i) => bus.emit(new Event("task.completed", "bench", { i }));
const yieldTurn = () => new Promise((resolve) => setImmediate(resolve));
for (let r = 0; r < 2; r++) {
let i = 0; const start = performance.now(); let now = start; let turns = 0;
while (now - start < 250) { for (let k = 0; k < 256; k++) await emit(i++); now = performance.now(); await yieldTurn(); turns++; }
console.log((i / (now - start) * 1000).toFixed(0), "/s", turns);
}
