/**
 * Headless Chromium for the report tests: renders an HTML file and takes a screenshot, or dumps the
 * DOM the browser built. Also a script: `npx tsx`-free, run the compiled test helper is not needed;
 * see bench/screenshot-report.ts for the command-line version.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** The path of an installed Chromium, or null. */
export function findChromium(): string | null {
  for (const name of CANDIDATES) {
    const found = spawnSync("which", [name], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim() !== "") return found.stdout.trim();
  }
  return null;
}

function flags(): string[] {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-dev-shm-usage", "--no-first-run"];
}

export function screenshot(chromium: string, htmlFile: string, pngFile: string, size = "1100,2400"): void {
  execFileSync(chromium, [...flags(), `--window-size=${size}`, `--screenshot=${pngFile}`, pathToFileURL(htmlFile).href], { stdio: "pipe", timeout: 60_000 });
}

/** The document as the browser parsed it (after any script: the report has none). */
export function dumpDom(chromium: string, htmlFile: string): string {
  return execFileSync(chromium, [...flags(), "--dump-dom", pathToFileURL(htmlFile).href], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
}
