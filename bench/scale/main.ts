/**
 * Scale benchmark: how time per operation and memory per object grow with the count, against a
 * real RabbitMQ. Every point runs in a process of its own (point.ts; peers: peers/scale-confirms.mjs).
 * A flat row from the smallest to the largest count is the goal; the report gives largest /
 * smallest for each series.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/index.js';
import { parseBenchArgs } from '../lib/args.js';
import { runJsonChild } from '../lib/child.js';
import { describeMachine, machineInfo } from '../lib/machine.js';
import { formatCount } from '../lib/stats.js';
import { writeChart, type Series } from '../../src/tools/chart/svg.js';
import { printTable, progress } from '../lib/table.js';
import { SERIES, type PointResult, type SeriesName } from './workloads.js';

const USAGE = `Usage: npm run -s bench:scale -- [flags]

Against the RabbitMQ at --url / AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/), each point in
its own process, time per operation and memory per object as the count grows by 10x:
  confirms              n confirmed publishes outstanding on one channel (Promise.all), 10^4..10^6
  channels              n channels opened at once on one connection, 10..2,047
  consumers-channel     n consumers on one channel, then one delivery each, 10..10^4
  consumers-connection  n consumers over min(n, 100) channels of one connection, 10..10^4
  connections           n connections from one process, 1..1,000
  rpc                   n RPC calls in flight on one RpcClient, 1..10^4
Peers (bench/peers, after 'npm install --prefix bench/peers') run the confirms series too.

Flags:
  --series a,b      only these series
  --max <n>         leave out counts above n (a quick run: --max 10000)
  --no-peers        amqp-wire only
  --peer-max <n>    leave out peer points above n (default 100000: amqplib alone takes over
                    15 minutes for 10^6 outstanding publishes)
  --url <url>       broker URL`;

const here = dirname(fileURLToPath(import.meta.url));
const POINT = join(here, 'point.js');
/** Peers live outside the build: build/bench/scale -> bench/peers. */
const PEERS_DIR = join(here, '..', '..', '..', 'bench', 'peers');
const PEER_SCRIPT = join(PEERS_DIR, 'scale-confirms.mjs');
const PEERS = ['amqplib', 'amqp-client', 'rabbitmq-client'] as const;
/** A named, capped queue the peer children publish to (they have no shared declare helper). */
const PEER_QUEUE = 'bench.scale.confirms';

interface Row extends PointResult {
  series: SeriesName;
  client: string;
  n: number;
  /** Microseconds per operation. */
  usPerOp: number;
}

async function withPeerQueue<T>(url: string, f: () => Promise<T>): Promise<T> {
  const conn = await connect(url);
  const ch = await conn.channel();
  await ch.queueDeclare(PEER_QUEUE, { arguments: { 'x-max-length': 10_000 } });
  try {
    return await f();
  } finally {
    await ch.queueDelete(PEER_QUEUE).catch(() => undefined);
    await conn.close();
  }
}

function row(series: SeriesName, client: string, n: number, r: PointResult): Row {
  return { series, client, n, ...r, usPerOp: (r.seconds * 1e6) / n };
}

async function main(): Promise<void> {
  const { common, values } = parseBenchArgs(process.argv.slice(2), USAGE, {
    series: { type: 'string' },
    max: { type: 'string' },
    'no-peers': { type: 'boolean', default: false },
    'peer-max': { type: 'string' },
    url: { type: 'string' },
  });
  const url = typeof values.url === 'string' ? values.url : process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
  const max = typeof values.max === 'string' ? Number(values.max) : Infinity;
  const peerMax = typeof values['peer-max'] === 'string' ? Number(values['peer-max']) : 100_000;
  const names = (typeof values.series === 'string' ? values.series.split(',') : Object.keys(SERIES)) as SeriesName[];
  for (const s of names) if (!(s in SERIES)) throw new Error(`unknown series '${s}'; see --help`);
  const peers = values['no-peers'] !== true && existsSync(join(PEERS_DIR, 'node_modules', 'amqplib'));
  progress(`machine: ${describeMachine(machineInfo())}`, common.quiet);
  if (!peers && values['no-peers'] !== true) progress('peers not installed (npm install --prefix bench/peers): amqp-wire only', common.quiet);

  const rows: Row[] = [];
  const childOpts = { nodeFlags: ['--expose-gc'], timeoutMs: 10 * 60_000 };
  for (const series of names) {
    for (const n of SERIES[series].counts.filter((c) => c <= max)) {
      const done = (r: Row): void => {
        rows.push(r);
        progress(`${series} n=${n} ${r.client}: ${r.seconds.toFixed(2)} s, ${r.usPerOp.toFixed(1)} us/op, ${Math.round(r.bytesPerObject)} B/object`, common.quiet);
      };
      done(row(series, 'amqp-wire', n, await runJsonChild(POINT, [series, String(n), url], childOpts) as PointResult));
      if (series === 'confirms' && peers && n <= peerMax) {
        await withPeerQueue(url, async () => {
          for (const peer of PEERS) {
            try {
              done(row(series, peer, n, await runJsonChild(PEER_SCRIPT, [peer, String(n), url, PEER_QUEUE], childOpts) as PointResult));
            } catch (e) {
              progress(`  ${peer} failed: ${(e as Error).message}`, common.quiet);
            }
          }
        });
      }
    }
  }

  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.series} / ${r.client}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const spread = (rs: Row[], k: 'usPerOp' | 'bytesPerObject'): number => rs[rs.length - 1]![k] / rs[0]![k];
  const summary = [...groups].map(([key, rs]) => ({
    key, from: rs[0]!.n, to: rs[rs.length - 1]!.n, timeRatio: spread(rs, 'usPerOp'), memoryRatio: spread(rs, 'bytesPerObject'),
  }));

  if (common.json) {
    process.stdout.write(`${JSON.stringify({ machine: machineInfo(), rows, summary })}\n`);
  } else {
    printTable(['series', 'client', 'n', 'total s', 'us/op', 'bytes/object'], rows.map((r) => [
      r.series, r.client, formatCount(r.n), r.seconds.toFixed(2), r.usPerOp.toFixed(1), Math.round(r.bytesPerObject).toString(),
    ]));
    console.log('');
    printTable(['series / client', 'counts', 'time/op largest:smallest', 'memory/object largest:smallest'], summary.map((s) => [
      s.key, `${formatCount(s.from)}..${formatCount(s.to)}`, `${s.timeRatio.toFixed(2)}x`, `${s.memoryRatio.toFixed(2)}x`,
    ]));
  }
  if (common.svg) {
    const series: Series[] = [...groups].map(([key, rs]) => ({
      name: key, dashed: !key.endsWith('amqp-wire'), points: rs.map((r) => [r.n, r.usPerOp] as const),
    }));
    writeChart(common.svg, {
      title: 'amqp-wire at scale: time per operation as the count grows (flat is linear cost)',
      subtitle: describeMachine(machineInfo()),
      xLabel: 'count (objects alive at once)', yLabel: 'microseconds per operation', series,
      formatX: formatCount, formatY: (y) => y.toPrecision(3),
    });
    progress(`chart written to ${common.svg}`, common.quiet);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
