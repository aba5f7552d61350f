/**
 * The benchmark's peer libraries (the emitters and matchers it compares against). They are
 * devDependencies of this package, so an installed copy of it usually has none of them: a
 * scenario that needs one is skipped with the command that adds it, and the others still run.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export const PEERS = ["qlobber", "eventemitter2", "mqemitter", "emittery", "eventemitter3", "mitt"] as const;
export type Peer = (typeof PEERS)[number];

// Resolved from this file, so the user's node_modules (above an installed package) are searched too.
const require = createRequire(import.meta.url);

/** The installed version of `name`, or undefined when it cannot be resolved from here. */
export function peerVersion(name: string): string | undefined {
  let file: string;
  try {
    file = require.resolve(`${name}/package.json`);
  } catch {
    try {
      // Packages whose "exports" hide package.json: walk up from the resolved entry instead.
      const entry = require.resolve(name);
      file =
        entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length) + "package.json";
    } catch {
      return undefined;
    }
  }
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** The peers of `needed` that are not installed. */
export function missingPeers(needed: readonly Peer[]): Peer[] {
  return needed.filter((name) => peerVersion(name) === undefined);
}

/** The line printed in place of a skipped scenario. */
export function skipLine(title: string, missing: readonly Peer[]): string {
  return `Skipped: ${title} compares against ${missing.join(", ")}, not installed here. Add ${missing.length === 1 ? "it" : "them"} with \`npm i -D ${missing.join(" ")}\` to run it.`;
}
