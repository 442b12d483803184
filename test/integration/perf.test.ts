/**
 * `amqp-wire perf` against the real broker: its totals agree with the broker's own count, its
 * thresholds fail a run, and the CLI (compiled: worker threads and the null broker's child
 * process need JavaScript) runs with workers, a report and every format. Shape and sanity only,
 * never speed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/index.js';
import { parsePerfArgs } from '../../src/tools/perf/flags.js';
import { runPerf } from '../../src/tools/perf/run.js';
import { brokerUrl } from '../support/broker.js';
import { compile, killAll, run } from './processes.js';

const MAIN = 'dist/cli/main.js';
const unique = (what: string): string => `amqp-wire-test-perf-${what}-${randomUUID().slice(0, 8)}`;
let conn: Connection;
let env: Record<string, string>;

beforeAll(async () => {
  await compile('tsconfig.build.json');
  env = { AMQP_URL: brokerUrl() };
  conn = await connect(brokerUrl(), { name: 'perf.test' });
}, 120_000);
afterEach(killAll);
afterAll(async () => {
  await killAll();
  await conn?.close();
});

async function perf(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const result = await runPerf(parsePerfArgs(args, { AMQP_URL: brokerUrl() }), args, { out: (l) => out.push(l), err: (l) => err.push(l) }, new AbortController().signal);
  return { ...result, out, err };
}

async function messageCount(queue: string): Promise<number> {
  const ch = await conn.channel();
  try {
    return (await ch.queueDeclare(queue, { passive: true })).messageCount;
  } finally {
    await ch.close();
  }
}

async function drop(queue: string): Promise<void> {
  const ch = await conn.channel();
  await ch.queueDelete(queue);
  await ch.close();
}

describe('perf against RabbitMQ', () => {
  it('a producer-only run with -C: the sent and confirmed totals are what the queue holds', async () => {
    const q = unique('count');
    try {
      const r = await perf(['-x', '2', '-y', '0', '-u', q, '-ad', 'false', '-C', '2500', '-c', '200', '-s', '100', '-z', '30']);
      expect(r.summary.reason).toBe('Producer reached message limit');
      expect(r.summary.totals).toMatchObject({ sent: 5000, confirmed: 5000, nacked: 0, received: 0 });
      expect(await messageCount(q)).toBe(5000);
    } finally {
      await drop(q);
    }
  });

  it('a timed producer-only run: the printed total equals the broker\'s count', async () => {
    const q = unique('timed');
    try {
      const r = await perf(['-x', '1', '-y', '0', '-u', q, '-ad', 'false', '-c', '100', '-z', '2']);
      expect(r.summary.reason).toBe('Reached time limit');
      const { sent, confirmed } = r.summary.totals;
      expect(sent).toBeGreaterThan(0);
      // Confirms still in flight at the stop are not in the totals yet: the broker holds at least
      // every confirmed publish and at most every sent one.
      expect(confirmed).toBeLessThanOrEqual(sent);
      const held = await messageCount(q);
      expect(held).toBeGreaterThanOrEqual(confirmed);
      expect(held).toBeLessThanOrEqual(sent);
    } finally {
      await drop(q);
    }
  });

  it('producers and consumers with confirms, multi-ack and qos: received no more than sent, latencies in order', async () => {
    const r = await perf(['-x', '2', '-y', '2', '-u', unique('pc'), '-c', '50', '-q', '100', '-A', '10', '-s', '1024', '-z', '2', '-i', '0.5']);
    const t = r.summary.totals;
    expect(t.sent).toBeGreaterThan(0);
    expect(t.received).toBeGreaterThan(0);
    expect(t.received).toBeLessThanOrEqual(t.sent);
    expect(t.confirmed).toBeLessThanOrEqual(t.sent);
    const c = r.summary.consumerLatency;
    expect(c.count).toBe(t.received);
    expect(c.min).toBeLessThanOrEqual(c.median);
    expect(c.median).toBeLessThanOrEqual(c.p99);
    expect(r.out.filter((l) => l.startsWith('id: ') && l.includes('starting '))).toHaveLength(4);
  });

  it('unroutable mandatory publishes are returned, and --max-returned makes the run fail', async () => {
    const r = await perf(['-x', '1', '-y', '0', '-e', 'amq.direct', '-k', unique('nowhere'), '-f', 'mandatory', '-c', '10', '-C', '100', '--max-returned', '5', '-z', '20']);
    expect(r.summary.totals).toMatchObject({ sent: 100, returned: 100 });
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain('100 returned, over --max-returned 5');
  });

  it('a queue pattern: one queue per number, consumers spread over them', async () => {
    const pattern = `${unique('qp')}-%d`;
    const r = await perf(['-x', '2', '-y', '2', '--queue-pattern', pattern, '--queue-pattern-from', '1', '--queue-pattern-to', '2', '-C', '300', '-D', '300', '-c', '20', '-z', '20']);
    expect(r.summary.totals).toMatchObject({ sent: 600, received: 600 });
  });
});

describe('the perf command (compiled)', () => {
  it('--workers 2 against the broker with an HTML report: PerfTest lines, exit 0, a self-contained page', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'perf-')), 'perf.html');
    const out = await run(MAIN, ['perf', '-x', '2', '-y', '2', '--workers', '2', '-c', '50', '-z', '3', '--report', report, '-d', 'cli-test'], env, 30_000);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.lines.filter((l) => l.startsWith('id: cli-test, time: ')).length).toBeGreaterThanOrEqual(2);
    expect(out.stdout).toContain('id: cli-test, test stopped (Reached time limit)');
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Consumer latency');
    expect(html).not.toMatch(/<script|<link|src=|@import/);
  });

  it('--null-broker in a child process, compact format', async () => {
    const out = await run(MAIN, ['perf', '--null-broker', '-x', '1', '-y', '1', '-z', '2', '-mf', 'compact'], env, 30_000);
    expect(out.code).toBe(0);
    expect(out.lines[0]).toMatch(/^time\s+sent\s+received\s+consumer latency/);
    expect(out.lines.some((l) => /^\d+\.\d{3}s\s+\d+ msg\/s\s+\d+ msg\/s/.test(l))).toBe(true);
  });

  it('a usage error exits 2 and says why', async () => {
    const out = await run(MAIN, ['perf', '-a', '-A', '5'], env);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('-a/--autoack and -A/--multi-ack-every conflict');
  });

  it('nothing listening: exit 3', async () => {
    const out = await run(MAIN, ['perf', '-h', 'amqp://guest:guest@127.0.0.1:1/', '-z', '1'], env);
    expect(out.code).toBe(3);
  });
});
