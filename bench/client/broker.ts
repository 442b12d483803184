/**
 * Benchmark 3, the real broker: every client against RabbitMQ on localhost. On two cores the
 * broker is what limits; the question is whether a client ever leaves it waiting.
 *
 * `node build/bench/client/broker.js [--quick] [--url amqp://...] [--json] [--svg file] ...`
 * @packageDocumentation
 */
import { connect, type Channel, type Connection } from '../../src/index.js';
import { progress } from '../lib/table.js';
import { CLIENT_FLAGS_HELP, runBench, type BenchDefinition, type Environment } from './cli.js';
import { CLIENTS } from './clients.js';
import { BenchError, PUBLISH_QUEUE, WORKLOADS, consumeQueue, rpcQueue, type Workload } from './workloads.js';

const DEFAULT_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const BROKER_WORKLOADS = WORKLOADS.filter((w) => !w.noAck);

/** Publish `count` messages of `size` bytes to `queue` (emptied first) and wait until it holds them. */
async function fill(ch: Channel, queue: string, size: number, count: number): Promise<void> {
  await ch.queuePurge(queue);
  const body = Buffer.alloc(size, 0x61);
  for (let i = 0; i < count; i++) if (!ch.basicPublish('', queue, body)) await ch.drained();
  // The queue's count may trail the channel by a moment.
  const give = Date.now() + 10_000;
  for (;;) {
    const { messageCount } = await ch.queueDeclare(queue, { passive: true });
    if (messageCount === count) return;
    if (messageCount > count || Date.now() > give) throw new BenchError(`${queue} holds ${messageCount} messages after filling it with ${count}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The admin connection: declares the bench queues and resets them before every run. */
async function startAdmin(count: number, url: string, quiet: boolean): Promise<Environment> {
  if (count === 0) throw new BenchError('--count 0 (consume for --time) needs an endless source: use the fake broker (bench:client)');
  let conn: Connection;
  try {
    conn = await connect(url, { name: 'bench admin' });
  } catch (e) {
    throw new BenchError(`no broker at ${url} (${(e as Error).message}); start one (bash scripts/broker.sh start) or pass --url`);
  }
  const ch = await conn.channel();
  const consumeQueues = [...new Set(BROKER_WORKLOADS.filter((w) => w.kind === 'consume').map((w) => consumeQueue(w.bodySize)))];
  for (const q of [PUBLISH_QUEUE, ...consumeQueues]) {
    await ch.queueDeclare(q);
    await ch.queuePurge(q);
  }
  const prepare = async (w: Workload, c: { id: string }): Promise<void> => {
    if (w.kind === 'publish' || w.kind === 'confirm') await ch.queuePurge(PUBLISH_QUEUE);
    else if (w.kind === 'rpc') await ch.queueDelete(rpcQueue(c.id));
    else if (count > 0) await fill(ch, consumeQueue(w.bodySize), w.bodySize, count);
  };
  progress(`broker: ${url.replace(/\/\/[^@]*@/, '//')}`, quiet);
  return {
    url,
    prepare,
    async close() {
      for (const q of [PUBLISH_QUEUE, ...consumeQueues, ...CLIENTS.map((c) => rpcQueue(c.id))]) await ch.queueDelete(q);
      await conn.close();
    },
  };
}

const def: BenchDefinition = {
  title: 'Real broker: each client against RabbitMQ on localhost',
  usage: `Usage: node build/bench/client/broker.js [flags]

Every client runs every workload in a child process of its own against a real RabbitMQ
(--url, else AMQP_URL, else ${DEFAULT_URL}). Publish runs send a fixed number of messages and
end with a round trip, so they include the broker catching up with what the client buffered.
Consume runs read a queue filled beforehand. Workloads:
${BROKER_WORKLOADS.map((w) => `  ${w.name.padEnd(18)} ${w.about}`).join('\n')}

Flags:
  --url <amqp url>    the broker (guest/guest on localhost by default)
${CLIENT_FLAGS_HELP}`,
  workloads: BROKER_WORKLOADS,
  sizes: { timeMs: 2500, warmupMs: 300, rounds: 3, publishCount: (w) => (w.bodySize >= 1024 ? 200_000 : 400_000), count: 200_000 },
  quickSizes: { timeMs: 600, warmupMs: 100, rounds: 3, publishCount: (w) => (w.bodySize >= 1024 ? 30_000 : 60_000), count: 40_000 },
  targets: [
    { label: 'real broker: throughput >= 1.0x best peer', metric: 'throughput', op: '>=', value: 1.0, applies: () => true },
    { label: 'real broker: sequential RPC >= 1.2x best peer', metric: 'throughput', op: '>=', value: 1.2, applies: (w) => w.kind === 'rpc' },
  ],
  setup: (settings, url, quiet) => startAdmin(settings.count, url ?? DEFAULT_URL, quiet),
};

runBench(def, process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench:broker: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
