// A bus in its own process, run against the BUILT package (self-reference through "exports").
// argv[2]: JSON { nodeId, transport }. Reads JSON commands on stdin, writes JSON lines on stdout:
//   {"cmd":"emit","type":"task.x","count":3,"tag":"t"} -> {"kind":"emitted","ids":[...],"failed":[...]}
//   {"cmd":"stats"} -> {"kind":"stats","stats":{...}}      {"cmd":"close"} -> {"kind":"closed",...}; exit
// Every event its "*" subscription sees -> {"kind":"event","id":...,"type":...,"data":...}
import { createInterface } from "node:readline";
import { Event, EventBus } from "@neurectomy/event-bus";
import { NatsTransport } from "@neurectomy/event-bus/nats";

const config = JSON.parse(process.argv[2]);
const out = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const bus = new EventBus({
  nodeId: config.nodeId,
  onError: (e) => out({ kind: "error", code: e.code, message: e.message }),
});
bus.subscribe("*", (e) => out({ kind: "event", id: e.eventId, type: e.eventType, source: e.source, data: e.data }));
const bridge = await bus.bridge(new NatsTransport(config.transport));
out({ kind: "ready", nodeId: bus.nodeId });

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line);
  if (cmd.cmd === "emit") {
    const events = Array.from(
      { length: cmd.count ?? 1 },
      (_, n) => new Event(cmd.type, config.nodeId, { n, tag: cmd.tag ?? null }),
    );
    const ids = [];
    const failed = [];
    for (const event of events) {
      const result = await bus.emit(event);
      ids.push(event.eventId);
      for (const err of result.errors) failed.push({ id: event.eventId, code: err.code });
    }
    out({ kind: "emitted", ids, failed });
  } else if (cmd.cmd === "stats") {
    out({ kind: "stats", stats: bus.getStats().bridge });
  } else if (cmd.cmd === "close") {
    await bridge.close();
    await bus.close();
    out({ kind: "closed", stats: bus.getStats().bridge });
    break;
  }
}
process.exit(0);
