/**
 * One benchmark run in its own process: `node build/bench/client/child.js --client amqplib
 * --workload publish/16B --url amqp://... [--time ms --count n ...]`. Prints progress on stderr
 * and one JSON {@link RunResult} as the last line of stdout.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { clientById, loadAdapter } from './clients.js';
import { runWorkload } from './driver.js';
import { workloadByName, type RunSettings } from './workloads.js';

/** A bad command line. */
class ChildArgumentError extends Error {
  override readonly name = 'ChildArgumentError';
}

function num(v: string | boolean | undefined, flag: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new ChildArgumentError(`--${flag} needs a number >= ${min}, got '${String(v)}'`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      client: { type: 'string' }, workload: { type: 'string' }, url: { type: 'string' },
      time: { type: 'string' }, warmup: { type: 'string' }, count: { type: 'string' }, 'publish-count': { type: 'string' }, prefetch: { type: 'string' },
      'ack-every': { type: 'string' }, window: { type: 'string' }, 'peer-defaults': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const client = clientById(values.client ?? '');
  const workload = workloadByName(values.workload ?? '');
  if (!client) throw new ChildArgumentError(`unknown --client '${values.client ?? ''}'`);
  if (!workload) throw new ChildArgumentError(`unknown --workload '${values.workload ?? ''}'`);
  const settings: RunSettings = {
    url: values.url ?? 'amqp://guest:guest@127.0.0.1:5672/',
    timeMs: num(values.time, 'time', 3000),
    warmupMs: num(values.warmup, 'warmup', 300, 0),
    publishCount: Math.floor(num(values['publish-count'], 'publish-count', 0, 0)),
    count: Math.floor(num(values.count, 'count', 0, 0)),
    prefetch: Math.floor(num(values.prefetch, 'prefetch', 1000)),
    ackEvery: Math.floor(num(values['ack-every'], 'ack-every', 100)),
    window: Math.floor(num(values.window, 'window', 1000)),
    peerDefaults: values['peer-defaults'] === true,
  };
  const adapter = await loadAdapter(client);
  // A client that drops its socket under a pending promise lets the event loop run dry, and Node
  // would exit with code 0 and nothing said.
  process.once('beforeExit', () => {
    process.stderr.write(`child ${client.id} ${workload.name}: the event loop ran dry before the run finished\n`);
    process.exit(1);
  });
  const result = await runWorkload(adapter, workload, settings);
  // Some clients leave timers behind (reconnect, heartbeats): exit once the line is out.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((e: unknown) => {
  process.stderr.write(`child ${process.argv.slice(2).join(' ')}: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
