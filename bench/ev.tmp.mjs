import { nanoid } from "nanoid";
import { Event } from "/work/wt-bench/dist/src/index.js";
const fns = { nanoid: () => nanoid(), "new Date": () => new Date(), "Date.now": () => Date.now(), "new Event": () => new Event("task.completed", "b", { i: 1 }), "new Event (id+ts given)": () => new Event("task.completed", "b", { i: 1 }, D, "x") };
const D = new Date();
for (let k = 0; k < 3; k++) for (const [n, f] of Object.entries(fns)) { const t = []; for (let r = 0; r < 10; r++) { const c0 = process.cpuUsage(); for (let i = 0; i < 1e5; i++) f(); const c = process.cpuUsage(c0); t.push((c.user + c.system) * 1e3 / 1e5); } console.log(n.padEnd(24), Math.min(...t).toFixed(0), "ns cpu"); }
