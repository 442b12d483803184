/**
 * What `perf` prints: PerfTest's interval line and summary, word for word (parsers of them
 * exist), its compact columns and CSV, our JSON; and the `--report` page (inline SVG charts).
 * @packageDocumentation
 */
import { lineChart, type ChartSpec, type Series } from '../chart/svg.js';
import type { PerfConfig } from './flags.js';
import type { Percentiles } from './histogram.js';
import type { Counts } from './metrics.js';

/** One interval, merged over every thread. */
export interface IntervalRow {
  /** Seconds since the start. */
  time: number;
  /** Messages per second, each count over the measured interval. */
  rates: Counts;
  /** Nanoseconds. */
  consumerLatency: Percentiles;
  confirmLatency: Percentiles;
  /** Client CPU (whole process, every thread) per message sent or received, µs. */
  cpuPerMessage: number;
  /** Event-loop delay, ns: the worst thread's p99 and max. */
  loopDelayP99: number;
  loopDelayMax: number;
  rss: number;
  heapUsed: number;
}

/** The end of a run. */
export interface Summary {
  reason: string;
  /** Seconds. */
  duration: number;
  totals: Counts;
  consumerLatency: Percentiles;
  confirmLatency: Percentiles;
  cpuPerMessage: number;
}

/** Which of PerfTest's fields a run shows. */
export interface Fields {
  sent: boolean;
  returned: boolean;
  confirmed: boolean;
  received: boolean;
  /** Latency unit: µs, or ms with -ms. */
  unit: 'µs' | 'ms';
}

export function fieldsOf(c: PerfConfig): Fields {
  return { sent: c.producers > 0, returned: c.mandatory, confirmed: c.confirm > 0, received: c.consumers > 0, unit: c.useMillis ? 'ms' : 'µs' };
}

/** PerfTest's rate rounding: 0, two decimals below 1, one below 10, else the integer part. */
export function formatRate(r: number): string {
  if (r === 0) return '0';
  if (r < 1) return r.toFixed(2);
  if (r < 10) return r.toFixed(1);
  return String(Math.floor(r));
}

function lat(ns: number, unit: Fields['unit']): number {
  return Math.round(unit === 'ms' ? ns / 1e6 : ns / 1e3);
}

function latencies(p: Percentiles, unit: Fields['unit']): string {
  return [p.min, p.median, p.p75, p.p95, p.p99].map((v) => lat(v, unit)).join('/');
}

const MiB = 1024 * 1024;

/** `id: test-..., time: 1.000 s, sent: N msg/s, ...` */
export function defaultLine(id: string, f: Fields, r: IntervalRow): string {
  const parts = [`id: ${id}`, `time: ${r.time.toFixed(3)} s`];
  if (f.sent) parts.push(`sent: ${formatRate(r.rates.sent)} msg/s`);
  if (f.returned) parts.push(`returned: ${formatRate(r.rates.returned)} msg/s`);
  if (f.confirmed) parts.push(`confirmed: ${formatRate(r.rates.confirmed)} msg/s`, `nacked: ${formatRate(r.rates.nacked)} msg/s`);
  if (f.received) parts.push(`received: ${formatRate(r.rates.received)} msg/s`);
  const lats: string[] = [];
  if (f.received) lats.push(`consumer latency: ${latencies(r.consumerLatency, f.unit)} ${f.unit}`);
  if (f.confirmed) lats.push(`confirm latency: ${latencies(r.confirmLatency, f.unit)} ${f.unit}`);
  if (lats.length > 0) parts.push(`min/median/75th/95th/99th ${lats.join(', ')}`);
  parts.push(
    `cpu: ${r.cpuPerMessage.toFixed(2)} µs/msg`,
    `loop delay p99/max: ${(r.loopDelayP99 / 1e6).toFixed(1)}/${(r.loopDelayMax / 1e6).toFixed(1)} ms`,
    `rss: ${Math.round(r.rss / MiB)} MiB`,
    `heap: ${Math.round(r.heapUsed / MiB)} MiB`,
  );
  return parts.join(', ');
}

/** The compact format's header. */
export function compactHeader(f: Fields): string {
  const cols = ['time'.padEnd(10)];
  if (f.sent) cols.push('sent'.padStart(13));
  if (f.returned) cols.push('returned'.padStart(13));
  if (f.confirmed) cols.push('confirmed'.padStart(13), 'nacked'.padStart(13));
  if (f.received) cols.push('received'.padStart(13), 'consumer latency'.padStart(23));
  if (f.confirmed) cols.push('confirm latency'.padStart(23));
  cols.push('cpu'.padStart(12));
  return cols.join('');
}

/** One compact row: time 10 wide, rates 13, latencies 23, right-aligned. */
export function compactLine(f: Fields, r: IntervalRow): string {
  const rate = (v: number): string => `${formatRate(v)} msg/s`.padStart(13);
  const cols = [`${r.time.toFixed(3)}s`.padEnd(10)];
  if (f.sent) cols.push(rate(r.rates.sent));
  if (f.returned) cols.push(rate(r.rates.returned));
  if (f.confirmed) cols.push(rate(r.rates.confirmed), rate(r.rates.nacked));
  if (f.received) cols.push(rate(r.rates.received), `${latencies(r.consumerLatency, f.unit)} ${f.unit}`.padStart(23));
  if (f.confirmed) cols.push(`${latencies(r.confirmLatency, f.unit)} ${f.unit}`.padStart(23));
  cols.push(`${r.cpuPerMessage.toFixed(2)} µs/msg`.padStart(12));
  return cols.join('');
}

const PCT = ['min', 'median', '75th p.', '95th p.', '99th p.'];

/** PerfTest's CSV header (plus our columns). */
export function csvHeader(f: Fields): string {
  return [
    'id', 'time (s)', 'published (msg/s)', 'returned (msg/s)', 'confirmed (msg/s)', 'nacked (msg/s)', 'received (msg/s)',
    ...PCT.map((p) => `${p} consumer latency (${f.unit})`), ...PCT.map((p) => `${p} confirm latency (${f.unit})`),
    'cpu (µs/msg)', 'loop delay p99 (ms)', 'loop delay max (ms)', 'rss (bytes)', 'heap used (bytes)',
  ].join(',');
}

/** One CSV row; fields that are off are empty. */
export function csvLine(id: string, f: Fields, r: IntervalRow): string {
  const on = (yes: boolean, v: () => string): string => (yes ? v() : '');
  const pct = (yes: boolean, p: Percentiles): string[] => [p.min, p.median, p.p75, p.p95, p.p99].map((v) => on(yes, () => String(lat(v, f.unit))));
  return [
    id, r.time.toFixed(3), on(f.sent, () => formatRate(r.rates.sent)), on(f.returned, () => formatRate(r.rates.returned)),
    on(f.confirmed, () => formatRate(r.rates.confirmed)), on(f.confirmed, () => formatRate(r.rates.nacked)),
    on(f.received, () => formatRate(r.rates.received)), ...pct(f.received, r.consumerLatency), ...pct(f.confirmed, r.confirmLatency),
    r.cpuPerMessage.toFixed(3), (r.loopDelayP99 / 1e6).toFixed(3), (r.loopDelayMax / 1e6).toFixed(3), String(r.rss), String(r.heapUsed),
  ].join(',');
}

function latencyJson(p: Percentiles, unit: Fields['unit']): Record<string, number> {
  return { count: p.count, min: lat(p.min, unit), median: lat(p.median, unit), p75: lat(p.p75, unit), p95: lat(p.p95, unit), p99: lat(p.p99, unit), max: lat(p.max, unit) };
}

/** One JSON object per interval. */
export function jsonLine(id: string, f: Fields, r: IntervalRow): string {
  return JSON.stringify({
    id, type: 'interval', time: Number(r.time.toFixed(3)), unit: f.unit,
    rates: r.rates,
    consumerLatency: f.received ? latencyJson(r.consumerLatency, f.unit) : null,
    confirmLatency: f.confirmed ? latencyJson(r.confirmLatency, f.unit) : null,
    cpuPerMessage: Number(r.cpuPerMessage.toFixed(3)), loopDelayP99Ms: r.loopDelayP99 / 1e6, loopDelayMaxMs: r.loopDelayMax / 1e6,
    rss: r.rss, heapUsed: r.heapUsed,
  });
}

/** PerfTest's closing lines (and ours: totals, CPU). */
export function summaryLines(id: string, f: Fields, s: Summary): string[] {
  const avg = (n: number): string => formatRate(s.duration > 0 ? n / s.duration : 0);
  const lines = [`id: ${id}, test stopped (${s.reason})`];
  if (f.sent) lines.push(`id: ${id}, sending rate avg: ${avg(s.totals.sent)} msg/s`);
  if (f.received) lines.push(`id: ${id}, receiving rate avg: ${avg(s.totals.received)} msg/s`);
  if (f.received) lines.push(`id: ${id}, consumer latency min/median/75th/95th/99th ${latencies(s.consumerLatency, f.unit)} ${f.unit}`);
  if (f.confirmed) lines.push(`id: ${id}, confirm latency min/median/75th/95th/99th ${latencies(s.confirmLatency, f.unit)} ${f.unit}`);
  const t = s.totals;
  lines.push(
    `id: ${id}, totals: sent ${t.sent}, returned ${t.returned}, confirmed ${t.confirmed}, nacked ${t.nacked}, `
      + `confirm timeouts ${t.confirmTimeouts}, received ${t.received} in ${s.duration.toFixed(3)} s; cpu ${s.cpuPerMessage.toFixed(2)} µs/msg`,
  );
  return lines;
}

export function summaryJson(id: string, f: Fields, s: Summary): string {
  return JSON.stringify({
    id, type: 'summary', reason: s.reason, duration: Number(s.duration.toFixed(3)), unit: f.unit, totals: s.totals,
    sendingRate: s.duration > 0 ? s.totals.sent / s.duration : 0, receivingRate: s.duration > 0 ? s.totals.received / s.duration : 0,
    consumerLatency: f.received ? latencyJson(s.consumerLatency, f.unit) : null,
    confirmLatency: f.confirmed ? latencyJson(s.confirmLatency, f.unit) : null,
    cpuPerMessage: Number(s.cpuPerMessage.toFixed(3)),
  });
}

// ---- the --report page -----------------------------------------------------------------------

/** What the report shows besides the rows. */
export interface ReportMeta {
  id: string;
  argv: readonly string[];
  versions: Record<string, string>;
  fields: Fields;
  summary: Summary;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The charts: rates, latency percentiles, CPU per message, loop delay, memory, over time. */
function charts(rows: readonly IntervalRow[], m: ReportMeta): string[] {
  const f = m.fields;
  const over = (pick: (r: IntervalRow) => number): [number, number][] => rows.map((r) => [r.time, pick(r)]);
  const step = Math.max(1, Math.ceil(rows.length / 10));
  const xTicks = rows.filter((_, i) => i % step === 0).map((r) => r.time);
  const base = { xLabel: 'time (s)', xLog: false, yLog: false, xTicks, formatX: (x: number): string => x.toFixed(0), width: 860, height: 340 };
  const specs: ChartSpec[] = [];
  const rates: Series[] = [];
  if (f.sent) rates.push({ name: 'sent', points: over((r) => r.rates.sent) });
  if (f.received) rates.push({ name: 'received', points: over((r) => r.rates.received) });
  if (f.confirmed) rates.push({ name: 'confirmed', points: over((r) => r.rates.confirmed) }, { name: 'nacked', points: over((r) => r.rates.nacked) });
  if (f.returned) rates.push({ name: 'returned', points: over((r) => r.rates.returned) });
  specs.push({ ...base, title: 'Rates', yLabel: 'msg/s', series: rates });
  const pct = (title: string, pick: (r: IntervalRow) => Percentiles): ChartSpec => ({
    ...base, title, yLabel: f.unit,
    series: (['min', 'median', 'p75', 'p95', 'p99'] as const).map((k) => ({ name: k, points: over((r) => lat(pick(r)[k], f.unit)) })),
  });
  if (f.received) specs.push(pct('Consumer latency', (r) => r.consumerLatency));
  if (f.confirmed) specs.push(pct('Confirm latency', (r) => r.confirmLatency));
  specs.push({ ...base, title: 'Client CPU per message', yLabel: 'µs/msg', series: [{ name: 'cpu', points: over((r) => r.cpuPerMessage) }] });
  specs.push({
    ...base, title: 'Event-loop delay', yLabel: 'ms',
    series: [{ name: 'p99', points: over((r) => r.loopDelayP99 / 1e6) }, { name: 'max', points: over((r) => r.loopDelayMax / 1e6) }],
  });
  specs.push({
    ...base, title: 'Memory', yLabel: 'MiB',
    series: [{ name: 'rss', points: over((r) => r.rss / MiB) }, { name: 'heap used', points: over((r) => r.heapUsed / MiB) }],
  });
  return specs.map((s) => lineChart({ ...s, subtitle: m.id }));
}

/** A self-contained HTML page: inline CSS and SVG, no script, nothing fetched. */
export function htmlReport(rows: readonly IntervalRow[], m: ReportMeta): string {
  const summary = summaryLines(m.id, m.fields, m.summary);
  const versions = Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amqp-wire perf ${esc(m.id)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}pre{background:#f6f6f6;padding:1em;overflow:auto}svg{display:block;margin:1em 0;max-width:100%;height:auto}</style>
</head><body>
<h1>amqp-wire perf ${esc(m.id)}</h1>
<p>Command: <code>amqp-wire perf ${esc(m.argv.join(' '))}</code><br>Versions: ${esc(versions)}</p>
<h2>Summary</h2>
<pre>${esc(summary.join('\n'))}</pre>
${charts(rows, m).map((svg) => svg.replace(/^<svg /, '<svg role="img" ')).join('\n')}
</body></html>
`;
}

/** One SVG file with the charts stacked. */
export function svgReport(rows: readonly IntervalRow[], m: ReportMeta): string {
  const parts = charts(rows, m);
  const H = 340;
  const inner = parts.map((svg, i) => svg.replace(/^<svg /, `<svg y="${40 + i * H}" `)).join('\n');
  const total = 40 + parts.length * H;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="${total}" viewBox="0 0 860 ${total}" font-family="sans-serif">
<rect width="860" height="${total}" fill="#fff"/>
<text x="16" y="26" font-size="18" font-weight="bold">amqp-wire perf ${esc(m.id)}: ${esc(summary1(m))}</text>
${inner}
</svg>
`;
}

function summary1(m: ReportMeta): string {
  const s = m.summary;
  const d = s.duration > 0 ? s.duration : 1;
  return `sent ${formatRate(s.totals.sent / d)} msg/s, received ${formatRate(s.totals.received / d)} msg/s over ${s.duration.toFixed(1)} s`;
}
