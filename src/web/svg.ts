// Charts drawn on the server as SVG: no script, no inline style (presentation attributes only, which a
// strict Content-Security-Policy allows). Each chart has a title for screen readers; the pages put the
// figures in a table beside it.
import { html, type Html } from "./html.js";

export interface RatePoint {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  attempts: number;
  rate: number | null;
  /** The interval of the rate (Wilson, 95%), null where undefined. */
  interval: [number, number] | null;
}

const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 36, right: 8, top: 8, bottom: 22 };

const coordinate = (n: number) => (Math.round(n * 10) / 10).toString();

/** A daily rate 0..1 as a line with its interval as a band behind it. */
export function rateChart(points: RatePoint[], label: string): Html {
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length === 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (rate: number) => PAD.top + (1 - rate) * innerH;
  const line: string[] = [];
  const upper: string[] = [];
  const lower: string[] = [];
  points.forEach((p, i) => {
    if (p.rate !== null) line.push(`${line.length ? "L" : "M"}${coordinate(x(i))},${coordinate(y(p.rate))}`);
    if (p.interval) {
      upper.push(`${coordinate(x(i))},${coordinate(y(p.interval[1]))}`);
      lower.unshift(`${coordinate(x(i))},${coordinate(y(p.interval[0]))}`);
    }
  });
  const grid = [0, 0.5, 1].map(
    (r) =>
      html`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${coordinate(y(r))}" y2="${coordinate(y(r))}" class="grid" /><text
          x="${PAD.left - 4}"
          y="${coordinate(y(r) + 4)}"
          text-anchor="end"
          class="axis"
          >${r * 100}%</text
        >`,
  );
  const first = points[0]?.day ?? "";
  const last = points[points.length - 1]?.day ?? "";
  const dots = points.map((p, i) =>
    p.rate === null
      ? ""
      : html`<circle cx="${coordinate(x(i))}" cy="${coordinate(y(p.rate))}" r="2.5" class="dot"
          ><title>${p.day}: ${Math.round(p.rate * 100)}% of ${p.attempts}</title></circle
        >`,
  );
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}">
    <title>${label}</title>
    ${grid} ${upper.length > 1 ? html`<polygon class="band" points="${[...upper, ...lower].join(" ")}" />` : ""}
    <path class="line" d="${line.join("")}" fill="none" />
    ${dots}
    <text x="${PAD.left}" y="${HEIGHT - 6}" class="axis">${first}</text>
    <text x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end" class="axis">${last}</text>
  </svg>`;
}

/** Counts per day as small bars: the shape of a pattern over time. */
export function sparkline(counts: Array<{ day: string; count: number }>, label: string): Html {
  const w = 240;
  const h = 40;
  const max = Math.max(1, ...counts.map((c) => c.count));
  const barW = counts.length ? w / counts.length : w;
  const bars = counts.map((c, i) => {
    const bh = (c.count / max) * (h - 2);
    return html`<rect
      x="${coordinate(i * barW)}"
      y="${coordinate(h - bh)}"
      width="${coordinate(Math.max(1, barW - 1))}"
      height="${coordinate(bh)}"
      class="bar"
      ><title>${c.day}: ${c.count}</title></rect
    >`;
  });
  return html`<svg class="sparkline" viewBox="0 0 ${w} ${h}" role="img" aria-label="${label}" preserveAspectRatio="none">
    <title>${label}</title>
    ${bars}
  </svg>`;
}

/** Every UTC day from `first` to `last` inclusive (YYYY-MM-DD), at most `cap` of the latest. */
export function dayRange(first: string, last: string, cap = 120): string[] {
  const days: string[] = [];
  const end = Date.parse(`${last}T00:00:00Z`);
  let t = Math.max(Date.parse(`${first}T00:00:00Z`), end - (cap - 1) * 86_400_000);
  for (; t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
