/** Every scenario, in the order a full run prints them, with the peers each one imports. */
import type { Scenario } from "../registry.js";

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "matcher",
    title: "1. Matcher: TopicTrie against qlobber, mqemitter, EventEmitter2 and a RegExp scan",
    peers: ["qlobber", "mqemitter", "eventemitter2"],
    load: () => import("./matcher.js"),
  },
  {
    name: "dispatch",
    title: "2. Dispatch: awaited emit against async and sync emitters",
    peers: ["emittery", "eventemitter2", "eventemitter3", "mitt", "mqemitter"],
    load: () => import("./dispatch.js"),
  },
  {
    name: "offload",
    title: "3. Worker offload: batched vs raw Piscina, CPU handlers, main-thread responsiveness",
    peers: [],
    load: () => import("./offload.js"),
  },
  {
    name: "offload-cost",
    title:
      "3b. Offload: the main thread's busy time per offloaded event (the ceiling of offload on any number of cores)",
    peers: [],
    load: () => import("./offload-cost.js"),
  },
  {
    name: "offload-mixed",
    title: "3c. Offload: uneven handler costs and a ~1 ms CPU handler against one piscina.run() per event",
    peers: [],
    load: () => import("./offload-mixed.js"),
  },
  {
    name: "offload-pipeline",
    title: "3d. Offload: a pipeline main → worker → main through ctx.emit",
    peers: [],
    load: () => import("./offload-pipeline.js"),
  },
  {
    name: "stats",
    title: "4. Stats cost: stats on against stats: false",
    peers: [],
    load: () => import("./stats-cost.js"),
  },
  {
    name: "latency",
    title: "5. Latency under load: emit to handler done at 50% of the maximum rate",
    peers: ["emittery"],
    load: () => import("./latency.js"),
  },
  // Its emittery reference column is optional (see memory.ts): the bus's own cases need no peer.
  {
    name: "memory",
    title: "6. Memory: heap and RSS after many emits (child process, --expose-gc)",
    peers: [],
    load: () => import("./memory.js"),
  },
];
