/**
 * The self-contained HTML report: inline CSS and SVG only (no script, no external style, font or
 * image), so the one file reads offline and in a CI artifact viewer. The text parts are the same
 * markdown the command prints, turned into HTML by a converter of the subset it uses (headings,
 * tables, lists, paragraphs, `code` and **bold**).
 */
import { escapeXml } from "./svg.js";

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 12.5px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; } th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num.short { white-space: nowrap; }
.table-scroll { overflow-x: auto; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
.advice { font-size: 16px; padding: 10px 14px; background: #eef5ee; border-left: 4px solid #4a9a5b; }
svg.chart { display: block; margin: 12px 0; max-width: 100%; height: auto; }
`;

function inline(text: string): string {
  return escapeXml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((c) => c.trim());
}

function table(lines: string[]): string {
  const header = cells(lines[0]!);
  const numeric = cells(lines[1]!).map((c) => c.endsWith(":"));
  // Short figures stay on one line ("1.5 k/s"); a long cell (a figure with a remark) may wrap.
  const cls = (i: number, v: string, tag: string): string =>
    numeric[i] !== true ? "" : tag === "td" && v.length <= 16 ? ' class="num short"' : ' class="num"';
  const row = (tag: string, values: string[]): string =>
    `<tr>${values.map((v, i) => `<${tag}${cls(i, v, tag)}>${inline(v)}</${tag}>`).join("")}</tr>`;
  return `<div class="table-scroll"><table><thead>${row("th", header)}</thead><tbody>${lines
    .slice(2)
    .map((l) => row("td", cells(l)))
    .join("")}</tbody></table></div>`;
}

/** HTML of the markdown the benchmark prints. */
export function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length;) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
    } else if (line.startsWith("|")) {
      const block: string[] = [];
      while (i < lines.length && lines[i]!.startsWith("|")) block.push(lines[i++]!);
      out.push(block.length >= 2 ? table(block) : `<p>${inline(block.join(" "))}</p>`);
    } else if (line.startsWith("- ")) {
      const items: string[] = [];
      while (i < lines.length && lines[i]!.startsWith("- ")) items.push(lines[i++]!.slice(2));
      out.push(`<ul>${items.map((item) => `<li>${inline(item)}</li>`).join("")}</ul>`);
    } else {
      const heading = /^(#{1,4}) (.*)$/.exec(line);
      out.push(
        heading === null
          ? `<p>${inline(line)}</p>`
          : `<h${heading[1]!.length + 1}>${inline(heading[2]!)}</h${heading[1]!.length + 1}>`,
      );
      i++;
    }
  }
  return out.join("\n");
}

export interface ReportPart {
  /** Raw HTML (a chart, the advice box) or markdown to convert. */
  html?: string;
  markdown?: string;
}

export function htmlPage(title: string, parts: readonly ReportPart[]): string {
  const body = parts.map((p) => p.html ?? markdownToHtml(p.markdown ?? "")).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
${body}
</body>
</html>
`;
}
