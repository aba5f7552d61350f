/**
 * Inline SVG bar charts for the HTML report: no script, no external style or font, so the file
 * reads offline. Horizontal bars (categories down the left, their labels readable however long),
 * one bar per series in each category, an optional min-max whisker per bar (the spread over
 * rounds), a linear or log value axis with ticks, and both axes labelled.
 */

export interface Bar {
  value: number;
  /** The spread behind the value (e.g. the slowest and fastest round), drawn as a whisker. */
  min?: number;
  max?: number;
  /** Drawn hatched, with this note after the value (e.g. "too few samples"). */
  flag?: string;
}

export interface Category {
  label: string;
  /** One bar per series, in the order of `ChartSpec.series`. */
  bars: Bar[];
}

export interface ChartSpec {
  title: string;
  /** A second, smaller line under the title: how to read the chart. */
  note?: string;
  /** The value axis (bottom): what is measured and its unit. */
  valueLabel: string;
  /** The category axis (left). */
  categoryLabel: string;
  series: string[];
  categories: Category[];
  log?: boolean;
  format: (value: number) => string;
}

const COLORS = ["#3b6fb6", "#e07b39", "#4a9a5b", "#b8474f", "#8064a8", "#8c6d4f"];
const WIDTH = 800;
const BAR = 16;
const GAP = 10;

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Tick values for the value axis: 1-2-5 steps (linear), or powers of ten (log). */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  }
  const raw = hi / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return Array.from({ length: Math.ceil(hi / step) + 1 }, (_, i) => i * step);
}

/** Charts share one HTML document: each one's pattern gets an id of its own. */
let chartCount = 0;

export function barChart(spec: ChartSpec): string {
  const hatch = `hatch-${++chartCount}`;
  const log = spec.log === true;
  const values = spec.categories
    .flatMap((c) => c.bars.flatMap((b) => [b.value, b.max ?? b.value]))
    .filter((v) => Number.isFinite(v) && (!log || v > 0));
  const hiValue = Math.max(...values, log ? 1e-9 : 1e-12);
  const loValue = log ? Math.min(...values, hiValue) : 0;
  const axis = ticks(log ? loValue : 0, hiValue, log);
  const lo = log ? axis[0]! : 0;
  const hi = axis.at(-1)!;
  const labelWidth = Math.min(320, 16 + 6.6 * Math.max(...spec.categories.map((c) => c.label.length), 4));
  const left = 28 + labelWidth;
  const right = WIDTH - 140;
  const legend = spec.series.length > 1 ? 24 : 0;
  const top = 34 + (spec.note === undefined ? 0 : 18) + legend;
  const groupHeight = spec.series.length * BAR + GAP;
  const bottom = top + spec.categories.length * groupHeight;
  const height = bottom + 56;
  const x = (v: number): number => {
    if (log)
      return (
        left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (right - left)
      );
    return left + (v / hi) * (right - left);
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<defs><pattern id="${hatch}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddd"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="3"/></pattern></defs>`,
    `<text x="8" y="20" class="chart-title" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.note !== undefined)
    parts.push(`<text x="8" y="38" class="chart-note" font-size="12" fill="#555">${escapeXml(spec.note)}</text>`);
  spec.series.forEach((name, i) => {
    if (spec.series.length < 2) return;
    const lx = left + i * 110;
    parts.push(
      `<rect x="${lx}" y="${top - legend - 2}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 16}" y="${top - legend + 8}" font-size="12">${escapeXml(name)}</text>`,
    );
  });
  for (const t of axis) {
    const tx = x(t).toFixed(1);
    parts.push(
      `<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${bottom}" stroke="#e4e4e4"/>`,
      `<text x="${tx}" y="${bottom + 16}" text-anchor="middle" font-size="11" class="tick">${escapeXml(spec.format(t))}</text>`,
    );
  }
  spec.categories.forEach((category, ci) => {
    const gy = top + ci * groupHeight;
    parts.push(
      `<text x="${left - 8}" y="${gy + (spec.series.length * BAR) / 2 + 4}" text-anchor="end" font-size="12" class="category">${escapeXml(category.label)}</text>`,
    );
    category.bars.forEach((bar, si) => {
      const y = gy + si * BAR;
      const w = Math.max(1, x(bar.value) - left);
      const fill = bar.flag === undefined ? COLORS[si % COLORS.length] : `url(#${hatch})`;
      parts.push(
        `<rect x="${left}" y="${y + 1}" width="${w.toFixed(1)}" height="${BAR - 3}" fill="${fill}"><title>${escapeXml(`${category.label}${spec.series.length > 1 ? ` ${spec.series[si]}` : ""}: ${spec.format(bar.value)}`)}</title></rect>`,
      );
      if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
        const [x1, x2, cy] = [x(bar.min).toFixed(1), x(bar.max).toFixed(1), y + BAR / 2 - 0.5];
        parts.push(
          `<path d="M${x1} ${cy}H${x2}M${x1} ${cy - 4}V${cy + 4}M${x2} ${cy - 4}V${cy + 4}" stroke="#222" stroke-width="1.2" class="whisker"/>`,
        );
      }
      const note = bar.flag === undefined ? spec.format(bar.value) : `${spec.format(bar.value)} (${bar.flag})`;
      parts.push(
        `<text x="${(Math.max(x(bar.value), bar.max !== undefined ? x(bar.max) : 0) + 6).toFixed(1)}" y="${y + BAR / 2 + 3}" font-size="11">${escapeXml(note)}</text>`,
      );
    });
  });
  parts.push(
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top - 4}" x2="${left}" y2="${bottom}" stroke="#333"/>`,
    `<text x="${(left + right) / 2}" y="${bottom + 40}" text-anchor="middle" font-size="13" class="axis-label x-label">${escapeXml(spec.valueLabel + (log ? " (log scale)" : ""))}</text>`,
    `<text transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="13" class="axis-label y-label">${escapeXml(spec.categoryLabel)}</text>`,
    "</svg>",
  );
  return parts.join("\n");
}
