/**
 * `amqp-wire perf --null-broker` (in this process when run from sources): short runs asserted on
 * shape and sanity, never on speed, and message limits counted exactly.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePerfArgs } from '../../src/tools/perf/flags.js';
import { runPerf } from '../../src/tools/perf/run.js';

async function perf(line: string) {
  const out: string[] = [];
  const err: string[] = [];
  const argv = line.split(' ');
  const result = await runPerf(parsePerfArgs(argv), argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, new AbortController().signal);
  return { ...result, out, err };
}

describe('perf --null-broker', () => {
  it('a timed run: PerfTest lines each interval, rates and latencies that make sense, a summary', async () => {
    const r = await perf('--null-broker -x 1 -y 1 -c 100 -s 64 -z 2 -i 0.5 -d nb-test');
    expect(r.summary.reason).toBe('Reached time limit');
    expect(r.rows.length).toBeGreaterThanOrEqual(3);
    const { totals } = r.summary;
    expect(totals.sent).toBeGreaterThan(0);
    expect(totals.confirmed).toBeGreaterThan(0);
    expect(totals.confirmed).toBeLessThanOrEqual(totals.sent);
    expect(totals.received).toBeGreaterThan(0);
    expect(totals.received).toBeLessThanOrEqual(totals.sent);
    expect(totals.nacked + totals.returned).toBe(0);
    for (const p of [r.summary.consumerLatency, r.summary.confirmLatency]) {
      expect(p.count).toBeGreaterThan(0);
      expect(p.min).toBeLessThanOrEqual(p.median);
      expect(p.median).toBeLessThanOrEqual(p.p99);
      expect(p.p99).toBeLessThanOrEqual(p.max);
    }
    const lines = r.out.filter((l) => l.includes(', time: '));
    expect(lines.length).toBe(r.rows.length);
    expect(lines[0]).toMatch(
      /^id: nb-test, time: \d+\.\d{3} s, sent: [\d.]+ msg\/s, confirmed: [\d.]+ msg\/s, nacked: 0 msg\/s, received: [\d.]+ msg\/s, min\/median\/75th\/95th\/99th consumer latency: \d+\/\d+\/\d+\/\d+\/\d+ µs, confirm latency: \d+\/\d+\/\d+\/\d+\/\d+ µs, cpu: [\d.]+ µs\/msg, loop delay p99\/max: [\d.]+\/[\d.]+ ms, rss: \d+ MiB, heap: \d+ MiB$/,
    );
    expect(r.out).toContain('id: nb-test, test stopped (Reached time limit)');
    expect(r.out.some((l) => l.startsWith('id: nb-test, sending rate avg: '))).toBe(true);
    // The rates printed add up to the totals (each rate is its count over the measured interval).
    const sentFromRows = r.rows.reduce((n, row, i) => n + row.rates.sent * (row.time - (i === 0 ? 0 : r.rows[i - 1]!.time)), 0);
    expect(Math.abs(sentFromRows - totals.sent) / totals.sent).toBeLessThan(0.01);
    expect(r.code).toBe(0);
  });

  it('-C and -D: producers send exactly N each, consumers stop at N', async () => {
    const r = await perf('--null-broker -x 2 -y 1 -C 500 -D 1000 -c 50 -u nb-limits -z 20');
    expect(r.summary.reason).toBe('Consumer reached message limit');
    expect(r.summary.totals.sent).toBe(1000);
    expect(r.summary.totals.confirmed).toBe(1000);
    expect(r.summary.totals.received).toBe(1000);
  });

  it('a producer-only run stops at its limit; csv to stdout and to -o; an SVG report with nothing fetched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-'));
    const csv = join(dir, 'out.csv');
    const svg = join(dir, 'report.svg');
    const r = await perf(`--null-broker -x 1 -y 0 -C 3000 -z 20 --format csv -o ${csv} --report ${svg}`);
    expect(r.summary).toMatchObject({ reason: 'Producer reached message limit', totals: { sent: 3000, received: 0 } });
    expect(r.out[0]!.startsWith('id,time (s),published (msg/s),')).toBe(true);
    const file = readFileSync(csv, 'utf8').trim().split('\n');
    expect(file[0]).toBe(r.out[0]);
    expect(file.length).toBe(r.rows.length + 1);
    const picture = readFileSync(svg, 'utf8');
    expect(picture.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(picture).toContain('Rates');
    expect(picture).not.toMatch(/href=|<script|url\(/);
  });

  it('json: one object per interval, then the summary', async () => {
    const r = await perf('--null-broker -x 1 -y 1 -z 1 -i 0.5 --format json');
    const objects = r.out.map((l) => JSON.parse(l) as { type: string });
    expect(objects.at(-1)).toMatchObject({ type: 'summary', reason: 'Reached time limit' });
    expect(objects.slice(0, -1).every((o) => o.type === 'interval')).toBe(true);
  });

  it('mandatory publishes the null broker takes are not counted as returned: --max-returned 0 passes', async () => {
    const r = await perf('--null-broker -x 1 -y 0 -C 200 -f mandatory --max-returned 0 -z 10');
    expect(r.summary.totals.sent).toBe(200);
    expect(r.summary.totals.returned).toBe(0);
    expect(r.code).toBe(0);
  });
});
