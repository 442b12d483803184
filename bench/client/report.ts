/**
 * Medians, ratios against the best peer, targets, and the three outputs of a client benchmark:
 * terminal tables, one JSON object, an SVG chart.
 * @packageDocumentation
 */
import { median, formatCount, formatRatio, sig3 } from '../lib/stats.js';
import { renderTable } from '../lib/table.js';
import { writeChart } from '../../src/tools/chart/svg.js';
import type { MachineInfo } from '../lib/machine.js';
import type { Outcome } from './runner.js';
import type { RunResult, Workload } from './workloads.js';

/** Medians of one client on one workload. */
export interface Cell {
  readonly opsPerSec: number;
  readonly cpuUsPerOp: number;
  /** The kernel's part of `cpuUsPerOp`. */
  readonly cpuSysUsPerOp: number;
  readonly peakRssMiB: number;
  readonly startRssMiB: number;
  /** ops/s of every round (null where the run failed). */
  readonly opsPerSecRounds: readonly (number | null)[];
}

/** amqp-wire against the best peer on one workload (NaN when either side has no result). */
export interface Ratios {
  /** Highest peer throughput, and amqp-wire's / that. */
  readonly throughputPeer: string;
  readonly throughput: number;
  /**
   * The median over rounds of amqp-wire's throughput / the best peer's in the same round: runs of
   * one round are seconds apart, so this pairs them under the same machine load.
   */
  readonly throughputPaired: number;
  /** Lowest peer CPU per operation, and amqp-wire's / that. */
  readonly cpuPeer: string;
  readonly cpu: number;
  /** Lowest peer peak RSS, and amqp-wire's / that. */
  readonly rssPeer: string;
  readonly rss: number;
}

/** A goal from performance.md: `metric` ratio `op` `value` on the workloads `applies` picks. */
export interface Target {
  readonly label: string;
  readonly metric: 'throughput' | 'cpu';
  readonly op: '>=' | '<=';
  readonly value: number;
  readonly applies: (w: Workload) => boolean;
}

/** Everything a report shows. */
export interface Summary {
  readonly title: string;
  readonly workloads: readonly Workload[];
  readonly clients: readonly string[];
  readonly versions: Readonly<Record<string, string>>;
  /** workload -> client -> medians. */
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, Cell>>;
  readonly ratios: ReadonlyMap<string, Ratios>;
  readonly targets: readonly Target[];
  readonly failures: readonly string[];
}

const SELF = 'amqp-wire';

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function cellOf(rounds: readonly (RunResult | undefined)[]): Cell {
  const runs = rounds.filter((r): r is RunResult => r !== undefined);
  return {
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    cpuUsPerOp: median(runs.map((r) => r.cpuUsPerOp)),
    cpuSysUsPerOp: median(runs.map((r) => r.cpuSysUsPerOp)),
    peakRssMiB: round1(median(runs.map((r) => r.peakRssMiB))),
    startRssMiB: round1(median(runs.map((r) => r.startRssMiB))),
    opsPerSecRounds: Array.from(rounds, (r) => r?.opsPerSec ?? null),
  };
}

function best(cells: ReadonlyMap<string, Cell>, pick: (c: Cell) => number, higher: boolean): [string, number] {
  let who = '-';
  let value = NaN;
  for (const [client, cell] of cells) {
    if (client === SELF) continue;
    const v = pick(cell);
    if (Number.isNaN(value) || (higher ? v > value : v < value)) [who, value] = [client, v];
  }
  return [who, value];
}

/** Per round: amqp-wire / the best peer of that round; the median of those. */
function pairedRatio(cells: ReadonlyMap<string, Cell>): number {
  const self = cells.get(SELF);
  if (!self) return NaN;
  const ratios: number[] = [];
  self.opsPerSecRounds.forEach((mine, round) => {
    let peer = NaN;
    for (const [client, cell] of cells) {
      const v = cell.opsPerSecRounds[round];
      if (client !== SELF && v != null && !(v <= peer)) peer = v;
    }
    if (mine !== null && !Number.isNaN(peer)) ratios.push(mine / peer);
  });
  return median(ratios);
}

function ratiosOf(cells: ReadonlyMap<string, Cell>): Ratios {
  const self = cells.get(SELF);
  const [throughputPeer, tp] = best(cells, (c) => c.opsPerSec, true);
  const [cpuPeer, cp] = best(cells, (c) => c.cpuUsPerOp, false);
  const [rssPeer, rp] = best(cells, (c) => c.peakRssMiB, false);
  return {
    throughputPeer, throughput: self ? self.opsPerSec / tp : NaN, throughputPaired: pairedRatio(cells),
    cpuPeer, cpu: self ? self.cpuUsPerOp / cp : NaN,
    rssPeer, rss: self ? self.peakRssMiB / rp : NaN,
  };
}

/** Medians and ratios of an outcome. */
export function summarise(title: string, workloads: readonly Workload[], clients: readonly string[], outcome: Outcome, targets: readonly Target[]): Summary {
  const cells = new Map<string, Map<string, Cell>>();
  const ratios = new Map<string, Ratios>();
  const versions: Record<string, string> = {};
  for (const w of workloads) {
    const byClient = new Map<string, Cell>();
    for (const c of clients) {
      const rounds = outcome.results.get(w.name)?.get(c);
      const first = rounds?.find((r) => r !== undefined);
      if (!rounds || !first) continue;
      byClient.set(c, cellOf(rounds));
      versions[c] = first.version;
    }
    cells.set(w.name, byClient);
    ratios.set(w.name, ratiosOf(byClient));
  }
  return { title, workloads, clients, versions, cells, ratios, targets, failures: outcome.failures };
}

/** Whether a target holds on a workload: true, false, or null when it does not apply or lacks data. */
export function targetMet(t: Target, w: Workload, r: Ratios): boolean | null {
  if (!t.applies(w)) return null;
  const v = t.metric === 'throughput' ? r.throughput : r.cpu;
  if (Number.isNaN(v)) return null;
  return t.op === '>=' ? v >= t.value : v <= t.value;
}

function metricTable(
  s: Summary, heading: string, pick: (c: Cell) => string, ratio: (r: Ratios) => [string, number], paired?: (r: Ratios) => number,
): string {
  const rows = s.workloads.map((w) => {
    const cells = s.cells.get(w.name)!;
    const r = s.ratios.get(w.name)!;
    const [peer, value] = ratio(r);
    const row = [w.name, ...s.clients.map((c) => (cells.has(c) ? pick(cells.get(c)!) : 'failed')), peer, formatRatio(value)];
    return paired ? [...row, formatRatio(paired(r))] : row;
  });
  const columns = ['workload', ...s.clients, 'best peer', `${SELF} / best`, ...(paired ? ['paired rounds'] : [])];
  return `${heading}\n${renderTable(columns, rows)}`;
}

function targetLines(s: Summary): string[] {
  const lines: string[] = [];
  for (const t of s.targets) {
    const missed: string[] = [];
    let checked = 0;
    for (const w of s.workloads) {
      const met = targetMet(t, w, s.ratios.get(w.name)!);
      if (met === null) continue;
      checked++;
      if (!met) missed.push(w.name);
    }
    if (checked === 0) continue;
    lines.push(`${missed.length === 0 ? 'met   ' : 'MISSED'}  ${t.label}${missed.length ? `: ${missed.join(', ')}` : ''}`);
  }
  return lines;
}

/** The terminal report: throughput, CPU and RSS tables, then targets and failures. */
export function renderReport(s: Summary, machine: string): string {
  const out = [
    `${s.title}\n${machine}\nclients: ${s.clients.map((c) => `${c} ${s.versions[c] ?? '?'}`).join(', ')}`,
    metricTable(s, 'Throughput (messages or round trips per second, median)', (c) => formatCount(c.opsPerSec), (r) => [r.throughputPeer, r.throughput], (r) => r.throughputPaired),
    metricTable(s, 'Client CPU per message or round trip (microseconds, user + system, median)', (c) => sig3(c.cpuUsPerOp), (r) => [r.cpuPeer, r.cpu]),
    metricTable(s, 'Peak RSS of the client process (MiB, median; an idle Node process is ~50)', (c) => String(c.peakRssMiB), (r) => [r.rssPeer, r.rss]),
  ];
  const targets = targetLines(s);
  if (targets.length > 0) out.push(`Targets (performance.md)\n${targets.join('\n')}`);
  if (s.failures.length > 0) out.push(`Failed runs\n${s.failures.join('\n')}`);
  return `${out.join('\n\n')}\n`;
}

/** The report as one JSON-ready object. */
export function reportJson(s: Summary, machine: MachineInfo, settings: Record<string, unknown>): unknown {
  const results: Record<string, unknown> = {};
  for (const w of s.workloads) {
    const cells: Record<string, Cell> = {};
    for (const [c, cell] of s.cells.get(w.name)!) cells[c] = cell;
    const targets: Record<string, boolean> = {};
    for (const t of s.targets) {
      const met = targetMet(t, w, s.ratios.get(w.name)!);
      if (met !== null) targets[t.label] = met;
    }
    results[w.name] = { unit: w.unit, clients: cells, vsBestPeer: s.ratios.get(w.name), targets };
  }
  return { bench: s.title, machine, settings, versions: s.versions, results, failures: s.failures };
}

/** Throughput of every client across the workloads, one line per client. */
export function writeReportChart(file: string, s: Summary, machine: string): void {
  const series = s.clients.map((c) => ({
    name: c,
    dashed: c !== SELF,
    points: s.workloads.flatMap((w, i): [number, number][] => {
      const cell = s.cells.get(w.name)?.get(c);
      return cell ? [[i + 1, cell.opsPerSec]] : [];
    }),
  }));
  writeChart(file, {
    title: s.title, subtitle: machine, xLabel: 'workload', yLabel: 'messages (or round trips) per second',
    series, xLog: false, yLog: true, xTicks: s.workloads.map((_, i) => i + 1),
    formatX: (x) => s.workloads[x - 1]?.name ?? '', width: 980,
  });
}
