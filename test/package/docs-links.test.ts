/**
 * The documentation stands on its own: every relative link of README.md and docs/*.md points at a
 * file of the repository, and every `#anchor` at a heading of its target page.
 *
 * In test/package/, not beside a part of src/: it checks the package as a whole (what it ships,
 * its documentation), as a user meets it.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
/** Pages that the NATS and benchmark work write; checked like the others once they exist. */
const WRITTEN_ELSEWHERE = new Set(["docs/nats.md", "docs/benchmarks.md"]);

const pages = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(page: string): Set<string> {
  const text = readFileSync(join(ROOT, page), "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
}

describe("documentation links", () => {
  it("README.md and docs/ exist, and the README stays a front door (at most 300 lines)", () => {
    expect(pages).toEqual(
      expect.arrayContaining([
        "docs/guide.md",
        "docs/offload.md",
        "docs/typescript.md",
        "docs/stats-and-metrics.md",
        "docs/reliability.md",
        "docs/architecture.md",
      ]),
    );
    expect(readFileSync(join(ROOT, "README.md"), "utf8").split("\n").length).toBeLessThanOrEqual(300);
  });

  it.each(pages)("every relative link of %s resolves", (page) => {
    const text = readFileSync(join(ROOT, page), "utf8").replace(/```[\s\S]*?```/g, "");
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // an absolute URL
      const [file, hash] = target!.split("#") as [string, string | undefined];
      const path = file === "" ? page : relative(ROOT, join(ROOT, dirname(page), file));
      if (WRITTEN_ELSEWHERE.has(path) && !existsSync(join(ROOT, path))) continue;
      if (!existsSync(join(ROOT, path))) broken.push(`${target}: no file ${path}`);
      else if (hash !== undefined && path.endsWith(".md") && !anchorsOf(path).has(hash))
        broken.push(`${target}: no heading #${hash} in ${path}`);
    }
    expect(broken).toEqual([]);
  });
});
