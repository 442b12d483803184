/**
 * A dependency-free SVG line chart: throughput against a size, one line per series. Log axes
 * suit benchmark data, where sizes grow by powers of two and rates span decades.
 * @packageDocumentation
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One line on the chart. */
export interface Series {
  readonly name: string;
  /** `[x, y]` pairs; drawn in x order. Points with y <= 0 on a log axis are left out. */
  readonly points: readonly (readonly [number, number])[];
  /** Dashed line (e.g. for a peer client). */
  readonly dashed?: boolean;
  /** CSS colour; a palette colour by position when absent. */
  readonly color?: string;
}

/** What to draw. */
export interface ChartSpec {
  readonly title: string;
  /** Second line under the title (machine, date). */
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Logarithmic x axis (default true). */
  readonly xLog?: boolean;
  /** Logarithmic y axis (default true). */
  readonly yLog?: boolean;
  /** Tick positions on x; defaults to every x that occurs in the data. */
  readonly xTicks?: readonly number[];
  readonly formatX?: (x: number) => string;
  readonly formatY?: (y: number) => string;
  readonly width?: number;
  readonly height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { left: 78, right: 210, top: 58, bottom: 52 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A linear or log10 mapping from data range to pixel range. */
function scale(lo: number, hi: number, p0: number, p1: number, log: boolean): (v: number) => number {
  const f = log ? Math.log10 : (v: number): number => v;
  const a = f(lo);
  const b = f(hi);
  const span = b - a || 1;
  return (v) => p0 + ((f(v) - a) / span) * (p1 - p0);
}

/** Ticks for the y axis: 1-2-5 per decade on a log axis, ~6 round numbers on a linear one. */
function yTicks(lo: number, hi: number, log: boolean): number[] {
  const ticks: number[] = [];
  if (log) {
    for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** d;
        if (v >= lo && v <= hi) ticks.push(v);
      }
    }
    return ticks;
  }
  const raw = (hi - lo) / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(v);
  return ticks;
}

function defaultFormat(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (abs >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

/** Data bounds, widened so every line sits inside the frame. */
function bounds(spec: ChartSpec, xLog: boolean, yLog: boolean): { x: [number, number]; y: [number, number] } {
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => (!xLog || x > 0) && (!yLog || y > 0));
  if (pts.length === 0) return { x: [1, 10], y: [1, 10] };
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x0 === x1) [x0, x1] = xLog ? [x0 / 2, x1 * 2] : [x0 - 1, x1 + 1];
  const [ylo, yhi] = [Math.min(...ys), Math.max(...ys)];
  const y: [number, number] = yLog
    ? [10 ** Math.floor(Math.log10(ylo)), 10 ** Math.ceil(Math.log10(yhi))]
    : [Math.min(0, ylo), yhi * 1.1 || 1];
  return { x: [x0, x1], y };
}

/** Render the chart as an SVG document. */
export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 860;
  const H = spec.height ?? 480;
  const xLog = spec.xLog ?? true;
  const yLog = spec.yLog ?? true;
  const fx = spec.formatX ?? defaultFormat;
  const fy = spec.formatY ?? defaultFormat;
  const b = bounds(spec, xLog, yLog);
  const px0 = MARGIN.left;
  const px1 = W - MARGIN.right;
  const py0 = H - MARGIN.bottom;
  const py1 = MARGIN.top;
  // Pad the x range by a few percent so end points do not sit on the frame.
  const pad = (px1 - px0) * 0.04;
  const sx = scale(b.x[0], b.x[1], px0 + pad, px1 - pad, xLog);
  const sy = scale(b.y[0], b.y[1], py0, py1, yLog);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${px0}" y="22" font-size="16" font-weight="bold">${esc(spec.title)}</text>`);
  if (spec.subtitle) out.push(`<text x="${px0}" y="40" fill="#555">${esc(spec.subtitle)}</text>`);
  for (const t of yTicks(b.y[0], b.y[1], yLog)) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${px0}" x2="${px1}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(fy(t))}</text>`);
  }
  const xs = spec.xTicks ?? [...new Set(spec.series.flatMap((s) => s.points.map((p) => p[0])))].sort((p, q) => p - q);
  for (const t of xs) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${py0}" y2="${py1}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${py0 + 16}" text-anchor="middle">${esc(fx(t))}</text>`);
  }
  out.push(`<rect x="${px0}" y="${py1}" width="${px1 - px0}" height="${py0 - py1}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(px0 + px1) / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(py0 + py1) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    out.push(...drawSeries(s, s.color ?? PALETTE[i % PALETTE.length]!, sx, sy, xLog, yLog, i, px1, py1));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function drawSeries(
  s: Series, color: string, sx: (v: number) => number, sy: (v: number) => number,
  xLog: boolean, yLog: boolean, index: number, px1: number, py1: number,
): string[] {
  const pts = s.points.filter(([x, y]) => (!xLog || x > 0) && (!yLog || y > 0)).slice().sort((p, q) => p[0] - q[0]);
  const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
  const out: string[] = [];
  const path = pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
  if (pts.length > 1) out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
  for (const [x, y] of pts) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
  const ly = py1 + 10 + index * 20;
  out.push(`<line x1="${px1 + 14}" x2="${px1 + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
  out.push(`<text x="${px1 + 46}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  return out;
}

/** Render and write the chart to `file`, creating its folder. */
export function writeChart(file: string, spec: ChartSpec): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, lineChart(spec));
}
