/**
 * Renders a benchmark report in headless Chromium and takes a screenshot, to check by eye (and in
 * the tests) that the report renders in a real browser:
 *
 *   node dist/bench/screenshot.js report.html report.png [WIDTH,HEIGHT]
 *
 * Debian: `apt-get install chromium`. The tests skip the browser part where none is installed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** The path of an installed Chromium (or Chrome), or null. */
export function findChromium(): string | null {
  for (const name of CANDIDATES) {
    const found = spawnSync("which", [name], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim() !== "") return found.stdout.trim();
  }
  return null;
}

// --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--hide-scrollbars",
  "--disable-dev-shm-usage",
  "--no-first-run",
];

export function screenshot(chromium: string, htmlFile: string, pngFile: string, size = "1100,2400"): void {
  execFileSync(
    chromium,
    [...FLAGS, `--window-size=${size}`, `--screenshot=${resolve(pngFile)}`, pathToFileURL(resolve(htmlFile)).href],
    { stdio: "pipe", timeout: 60_000 },
  );
}

/** The document as the browser parsed it, serialised. */
export function dumpDom(chromium: string, htmlFile: string): string {
  return execFileSync(chromium, [...FLAGS, "--dump-dom", pathToFileURL(resolve(htmlFile)).href], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [html, png, size] = process.argv.slice(2);
  const chromium = findChromium();
  if (html === undefined || png === undefined) {
    process.stderr.write("usage: node dist/bench/screenshot.js REPORT.html OUT.png [WIDTH,HEIGHT]\n");
    process.exitCode = 2;
  } else if (chromium === null) {
    process.stderr.write("no Chromium found (Debian: apt-get install chromium)\n");
    process.exitCode = 1;
  } else {
    screenshot(chromium, html, png, size);
    process.stderr.write(`wrote ${png}\n`);
  }
}
