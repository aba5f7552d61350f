/**
 * The benchmark's progress bar: redrawn in place on stderr when stderr is a terminal, absent
 * otherwise (a pipe or a CI log gets the tables only). Redraws at most every 100 ms.
 */
import { fractionBar } from "../src/cli/render.js";

export interface Progress {
  /** `fraction` of the whole run done (0..1), `label` what runs now. */
  update(fraction: number, label: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true) return { update() {}, done() {} };
  let last = 0;
  let drawn = false;
  return {
    update(fraction, label) {
      const now = performance.now();
      if (now - last < 100 && fraction < 1) return;
      last = now;
      const line = `${fractionBar(Math.min(1, Math.max(0, fraction)))}  ${label}`;
      // A terminal that reports no width (0) gets the whole line.
      const width = stream.columns > 1 ? stream.columns - 1 : line.length;
      stream.write(`\r\x1b[2K${line.slice(0, width)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[2K");
    },
  };
}
