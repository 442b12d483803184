/**
 * perf's figures: the histogram's percentiles stay within its precision of the exact ones with
 * bounded memory, merge without averaging, and PerfTest's body header and wording come out as
 * PerfTest writes them.
 */
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../src/tools/perf/histogram.js';
import { compactHeader, compactLine, csvHeader, csvLine, defaultLine, formatRate, summaryLines, type Fields, type IntervalRow } from '../../../src/tools/perf/report.js';
import { readHeader, writeHeader } from '../../../src/tools/perf/workload.js';

function exact(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('Histogram', () => {
  it('percentiles are within 1% of the exact ones, min and max exact', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 20000 }, () => Math.round(1000 * Math.exp(rnd() * 12)));
    const h = new Histogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.75, 0.95, 0.99]) {
      expect(Math.abs(h.percentile(q) - exact(sorted, q)) / exact(sorted, q)).toBeLessThan(0.01);
    }
    expect(h.percentiles()).toMatchObject({ count: 20000, min: sorted[0], max: sorted.at(-1) });
    // Bounded: at most 128 buckets per power of two, whatever the number of samples.
    expect(h.toData().buckets.length).toBeLessThan(128 * 20);
  });

  it('small values are exact; zero and negatives count as 0; empty is all zeros', () => {
    const h = new Histogram();
    for (const v of [0, -5, 1, 2, 200]) h.record(v);
    expect(h.percentiles()).toMatchObject({ count: 5, min: 0, median: 1, max: 200 });
    expect(new Histogram().percentiles()).toEqual({ count: 0, min: 0, median: 0, p75: 0, p95: 0, p99: 0, max: 0 });
  });

  it('merging two histograms equals recording into one, through plain data', () => {
    const a = new Histogram();
    const b = new Histogram();
    const both = new Histogram();
    for (let i = 1; i <= 1000; i++) {
      (i % 3 === 0 ? a : b).record(i * 997);
      both.record(i * 997);
    }
    const merged = new Histogram();
    merged.add(JSON.parse(JSON.stringify(a.toData())));
    merged.add(b);
    expect(merged.percentiles()).toEqual(both.percentiles());
  });
});

describe('PerfTest body', () => {
  it('starts with a big-endian int32 sequence and int64 timestamp', () => {
    const body = Buffer.alloc(16);
    writeHeader(body, 258, 0x0102030405060708n);
    expect(body.subarray(0, 12).toString('hex')).toBe('000001020102030405060708');
    expect(readHeader(body)).toEqual({ sequence: 258, stamp: 0x0102030405060708n });
    expect(readHeader(Buffer.alloc(11))).toBeNull();
  });
});

describe('PerfTest wording', () => {
  const p = (us: number) => ({ count: 10, min: us * 1000, median: us * 2000, p75: us * 3000, p95: us * 4000, p99: us * 5000, max: us * 6000 });
  const row: IntervalRow = {
    time: 1.0004, rates: { sent: 188898.7, returned: 0, confirmed: 5.55, nacked: 0.5, confirmTimeouts: 0, received: 85309 },
    consumerLatency: p(24), confirmLatency: p(10), cpuPerMessage: 1.234, loopDelayP99: 2_500_000, loopDelayMax: 9_000_000,
    rss: 80 * 1024 * 1024, heapUsed: 10 * 1024 * 1024,
  };
  const all: Fields = { sent: true, returned: false, confirmed: true, received: true, unit: 'µs' };

  it('rates: 0, two decimals below 1, one below 10, else the integer part', () => {
    expect([0, 0.456, 5.55, 10.9, 188898.7].map(formatRate)).toEqual(['0', '0.46', '5.5', '10', '188898']);
  });

  it('the interval line', () => {
    expect(defaultLine('test-101517-299', all, row)).toBe(
      'id: test-101517-299, time: 1.000 s, sent: 188898 msg/s, confirmed: 5.5 msg/s, nacked: 0.50 msg/s, received: 85309 msg/s, '
        + 'min/median/75th/95th/99th consumer latency: 24/48/72/96/120 µs, confirm latency: 10/20/30/40/50 µs, '
        + 'cpu: 1.23 µs/msg, loop delay p99/max: 2.5/9.0 ms, rss: 80 MiB, heap: 10 MiB',
    );
    const producerOnly: Fields = { sent: true, returned: true, confirmed: false, received: false, unit: 'µs' };
    expect(defaultLine('x', producerOnly, row)).toMatch(/^id: x, time: 1\.000 s, sent: 188898 msg\/s, returned: 0 msg\/s, cpu: /);
  });

  it('compact columns and CSV', () => {
    const header = compactHeader(all);
    const line = compactLine(all, row);
    expect(header.startsWith('time      ')).toBe(true);
    expect(line.slice(0, 10)).toBe('1.000s    ');
    expect(line.slice(10, 23)).toBe('188898 msg/s'.padStart(13));
    expect(csvHeader(all).split(',').slice(0, 8)).toEqual([
      'id', 'time (s)', 'published (msg/s)', 'returned (msg/s)', 'confirmed (msg/s)', 'nacked (msg/s)', 'received (msg/s)', 'min consumer latency (µs)',
    ]);
    const cells = csvLine('t', all, row).split(',');
    expect(cells.length).toBe(csvHeader(all).split(',').length);
    expect(cells.slice(0, 8)).toEqual(['t', '1.000', '188898', '', '5.5', '0.50', '85309', '24']);
  });

  it('the summary', () => {
    const lines = summaryLines('t', all, {
      reason: 'Reached time limit', duration: 2, totals: { sent: 200, returned: 0, confirmed: 200, nacked: 0, confirmTimeouts: 0, received: 100 },
      consumerLatency: p(24), confirmLatency: p(10), cpuPerMessage: 3,
    });
    expect(lines.slice(0, 5)).toEqual([
      'id: t, test stopped (Reached time limit)',
      'id: t, sending rate avg: 100 msg/s',
      'id: t, receiving rate avg: 50 msg/s',
      'id: t, consumer latency min/median/75th/95th/99th 24/48/72/96/120 µs',
      'id: t, confirm latency min/median/75th/95th/99th 10/20/30/40/50 µs',
    ]);
  });
});
