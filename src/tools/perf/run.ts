/**
 * One `perf` run: start the null broker if asked, declare, start consumers then producers, print a
 * line each interval, stop on the first stop condition, print the summary, write the CSV and the
 * report, and judge the CI thresholds.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { VERSION } from '../../index.js';
import { startNullBroker, type NullBroker } from '../null-broker/child.js';
import type { PerfConfig } from './flags.js';
import { Histogram } from './histogram.js';
import { mergeSamples, ProcessMeter, zeroCounts, type Counts } from './metrics.js';
import {
  compactHeader, compactLine, csvHeader, csvLine, defaultLine, fieldsOf, htmlReport, jsonLine, summaryJson, summaryLines, svgReport,
  type IntervalRow, type Summary,
} from './report.js';
import { LocalEngine, WorkerEngine, type Engine } from './workers.js';
import { declareTopology, type RunPlan } from './workload.js';

/** Where a run writes. */
export interface PerfIo {
  out(line: string): void;
  err(line: string): void;
}

/** What a run ends with. */
export interface PerfResult {
  summary: Summary;
  rows: IntervalRow[];
  /** 0, or 1 when a threshold was passed. */
  code: number;
}

/** Run `perf` with a parsed configuration; `argv` is echoed in the report. */
export async function runPerf(config: PerfConfig, argv: readonly string[], io: PerfIo, signal: AbortSignal): Promise<PerfResult> {
  const c = config;
  let broker: NullBroker | null = null;
  let engine: Engine | null = null;
  const fields = fieldsOf(c);
  const rows: IntervalRow[] = [];
  try {
    let uris = c.uris;
    if (c.nullBroker) {
      broker = await startNullBroker();
      uris = [`amqp://guest:guest@127.0.0.1:${broker.port}/`];
      if (c.format === 'default') io.out(`id: ${c.id}, null broker on 127.0.0.1:${broker.port} (${broker.where})`);
    }
    const plan: RunPlan = { config: c, uris, routingKey: randomUUID() };
    await declareTopology(plan);
    const log = c.format === 'default' ? io.out : (): void => {};
    engine = c.workers > 1 ? new WorkerEngine(plan, c.workers, log) : new LocalEngine(plan, log);

    let reason: string | null = null;
    let wake: (() => void) | null = null;
    const stopWith = (why: string): void => {
      reason ??= why;
      wake?.();
    };
    let producersDone = false;
    let consumersDone = false;
    const limitedProducers = c.pmessages > 0 && c.producers > 0;
    const limitedConsumers = c.cmessages > 0 && c.consumers > 0;
    const checkLimits = (): void => {
      if ((limitedProducers || limitedConsumers) && (!limitedProducers || producersDone) && (!limitedConsumers || consumersDone)) {
        stopWith(limitedConsumers && consumersDone ? 'Consumer reached message limit' : 'Producer reached message limit');
      }
    };
    engine.onProducersDone = () => { producersDone = true; checkLimits(); };
    engine.onConsumersDone = () => { consumersDone = true; checkLimits(); };
    const onAbort = (): void => stopWith('Interrupted');
    signal.addEventListener('abort', onAbort, { once: true });

    await engine.startConsumers();
    await engine.startProducers();
    if (signal.aborted) stopWith('Interrupted');

    if (c.format === 'compact') io.out(compactHeader(fields));
    if (c.format === 'csv') io.out(csvHeader(fields));
    const csvRows: string[] = [];
    const meter = new ProcessMeter();
    const totals: Counts = zeroCounts();
    const consumerAll = new Histogram();
    const confirmAll = new Histogram();
    let cpuTotal = 0;
    const t0 = performance.now();
    let last = t0;
    const intervalMs = c.interval * 1000;
    const endAt = c.time > 0 ? t0 + c.time * 1000 : Number.POSITIVE_INFINITY;

    const sample = async (): Promise<IntervalRow> => {
      const samples = await engine!.take();
      const now = performance.now();
      const elapsed = (now - last) / 1000;
      last = now;
      const m = mergeSamples(samples);
      const p = meter.take();
      for (const k of Object.keys(totals) as (keyof Counts)[]) totals[k] += m.counts[k];
      consumerAll.add(m.consumerLatency);
      confirmAll.add(m.confirmLatency);
      cpuTotal += p.cpuMicros;
      const rates = zeroCounts();
      for (const k of Object.keys(rates) as (keyof Counts)[]) rates[k] = elapsed > 0 ? m.counts[k] / elapsed : 0;
      const messages = m.counts.sent + m.counts.received;
      return {
        time: (now - t0) / 1000, rates, consumerLatency: m.consumerLatency.percentiles(), confirmLatency: m.confirmLatency.percentiles(),
        cpuPerMessage: messages > 0 ? p.cpuMicros / messages : 0, loopDelayP99: m.loopDelayP99, loopDelayMax: m.loopDelayMax,
        rss: p.rss, heapUsed: p.heapUsed,
      };
    };
    const print = (r: IntervalRow): void => {
      rows.push(r);
      if (c.outputFile !== undefined) csvRows.push(csvLine(c.id, fields, r));
      if (c.format === 'default') io.out(defaultLine(c.id, fields, r));
      else if (c.format === 'compact') io.out(compactLine(fields, r));
      else if (c.format === 'csv') io.out(csvLine(c.id, fields, r));
      else io.out(jsonLine(c.id, fields, r));
    };

    let next = t0 + intervalMs;
    while (reason === null) {
      const until = Math.min(next, endAt);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, until - performance.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      const now = performance.now();
      if (now >= endAt) stopWith('Reached time limit');
      if (reason !== null) break;
      if (now >= next) {
        print(await sample());
        next += intervalMs;
        // A slow interval (a blocked loop) skips ticks rather than printing a burst.
        while (next <= performance.now()) next += intervalMs;
      }
    }
    signal.removeEventListener('abort', onAbort);
    // What happened since the last line, then stop.
    const tail = await sample();
    if (tail.time - (rows.at(-1)?.time ?? 0) >= c.interval / 4) print(tail);
    const duration = (last - t0) / 1000;
    await engine.stop();
    engine = null;

    const messages = totals.sent + totals.received;
    const summary: Summary = {
      reason: reason as string, duration, totals, consumerLatency: consumerAll.percentiles(), confirmLatency: confirmAll.percentiles(),
      cpuPerMessage: messages > 0 ? cpuTotal / messages : 0,
    };
    if (c.format === 'json') io.out(summaryJson(c.id, fields, summary));
    else if (c.format !== 'csv') for (const line of summaryLines(c.id, fields, summary)) io.out(line);

    if (c.outputFile !== undefined) write(c.outputFile, `${[csvHeader(fields), ...csvRows].join('\n')}\n`);
    if (c.report !== undefined) {
      const meta = { id: c.id, argv, versions: { 'amqp-wire': VERSION, node: process.version }, fields, summary };
      write(c.report, /\.svg$/i.test(c.report) ? svgReport(rows, meta) : htmlReport(rows, meta));
      if (c.format === 'default') io.out(`id: ${c.id}, report written to ${c.report}`);
    }

    let code = 0;
    const over = (what: string, n: number, max: number | undefined): void => {
      if (max !== undefined && n > max) {
        io.err(`amqp-wire perf: ${n} ${what}, over --max-${what.replace(/ /g, '-')} ${max}`);
        code = 1;
      }
    };
    over('nacked', totals.nacked, c.maxNacked);
    over('returned', totals.returned, c.maxReturned);
    over('confirm timeouts', totals.confirmTimeouts, c.maxConfirmTimeouts);
    return { summary, rows, code };
  } finally {
    if (engine !== null) await engine.stop().catch(() => undefined);
    if (broker !== null) await broker.stop();
  }
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
