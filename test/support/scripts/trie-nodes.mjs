// Run in a child process by pattern/trie-property.test.ts, against the built package (dist/):
// counts TopicTrie's nodes from the outside, as the objects of class TrieNode still reachable in
// a V8 heap snapshot, so that pruning is checked as the memory it frees, without reading the
// trie's private fields.
// stdin: JSON, one of
//   { "kind": "steps", "ops": [op...] }      one trie; a { "op": "count" } step records its nodes
//   { "kind": "prune", "cases": [[op...]...] } a trie per case, then fresh tries of what is left
// where op is { "op": "add", "pattern", "seq" } or { "op": "remove", "seq" }.
// stdout: JSON, { "counts": [...] } or { "pruned", "fresh", "emptied", "tries" } (node totals).
import v8 from "node:v8";
import { TopicTrie, parsePattern } from "../../../dist/src/index.js";

/** Reachable TrieNode objects (a heap snapshot collects garbage first). */
async function liveNodes() {
  let text = "";
  for await (const chunk of v8.getHeapSnapshot()) text += chunk;
  const { snapshot, nodes, strings } = JSON.parse(text);
  const fields = snapshot.meta.node_fields;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const objectType = snapshot.meta.node_types[0].indexOf("object");
  const name = strings.indexOf("TrieNode");
  let count = 0;
  for (let i = 0; i < nodes.length; i += fields.length)
    if (nodes[i + typeAt] === objectType && nodes[i + nameAt] === name) count++;
  return count;
}

/** Applies `ops` to `trie`; returns the entries left (by seq). */
function apply(trie, ops, entries = new Map()) {
  for (const op of ops) {
    if (op.op === "add") {
      const entry = { seq: op.seq, pattern: op.pattern, parsed: parsePattern(op.pattern) };
      entries.set(op.seq, entry);
      trie.add(entry.parsed, entry);
    } else if (op.op === "remove") {
      const entry = entries.get(op.seq);
      if (!trie.remove(entry.parsed, entry)) throw new Error(`seq ${op.seq} was not in the trie`);
      entries.delete(op.seq);
    }
  }
  return entries;
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);
const baseline = await liveNodes();

if (job.kind === "steps") {
  const trie = new TopicTrie();
  const entries = new Map();
  const counts = [];
  for (const op of job.ops) {
    if (op.op === "count") counts.push((await liveNodes()) - baseline);
    else apply(trie, [op], entries);
  }
  process.stdout.write(JSON.stringify({ counts }));
} else {
  let pruned = job.cases.map((ops) => {
    const trie = new TopicTrie();
    return { trie, entries: apply(trie, ops) };
  });
  const prunedCount = (await liveNodes()) - baseline;
  const left = pruned.map((p) => [...p.entries.values()]);
  pruned = null; // only the fresh tries stay reachable
  let fresh = left.map((entries) => {
    const trie = new TopicTrie();
    for (const e of entries) trie.add(e.parsed, e);
    return trie;
  });
  const freshCount = (await liveNodes()) - baseline;
  // Remove every entry from the fresh tries: each is back to a lone root.
  fresh.forEach((trie, i) => {
    for (const e of left[i]) if (!trie.remove(e.parsed, e)) throw new Error(`seq ${e.seq} was not in the trie`);
  });
  const emptied = (await liveNodes()) - baseline;
  process.stdout.write(JSON.stringify({ pruned: prunedCount, fresh: freshCount, emptied, tries: fresh.length }));
  fresh = null;
}
