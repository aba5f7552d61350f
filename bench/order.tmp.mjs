import { awaitedEmits, busWith, prebuiltEvents } from "/work/wt-bench/dist/bench/scenarios/dispatch.js";
import { makeEmittery, TYPE, DATA } from "/work/wt-bench/dist/bench/scenarios/peers.js";
const events = prebuiltEvents(1024);
const bus = busWith(1); const run = awaitedEmits(bus, events);
const em = makeEmittery(1);
async function t(name, f, n = 200000) { await f(n / 10); const t0 = performance.now(); await f(n); console.log(name, ((performance.now() - t0) * 1e6 / n).toFixed(0), "ns"); }
await t("bus", run);
await t("emittery", async (n) => { for (let i = 0; i < n; i++) await em.emit(TYPE, DATA); });
await t("bus", run);
const bus2 = busWith(1); const run2 = awaitedEmits(bus2, events);
await t("bus2", run2);
await t("bus", run);
