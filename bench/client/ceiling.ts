/**
 * Benchmark 2, the client ceiling: every client against a fake broker in a process of its own
 * (`fake-broker-server.ts`) that answers at once, discards publishes, acks confirms in batches
 * and streams pre-encoded deliveries. Without RabbitMQ in the way, what limits is the client.
 *
 * `node build/bench/client/ceiling.js [--quick] [--json] [--svg file] ...` (`--help` for all flags).
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLIENT_FLAGS_HELP, runBench, type BenchDefinition, type Environment } from './cli.js';
import { BenchError, WORKLOADS } from './workloads.js';

const FAKE = fileURLToPath(new URL('./fake-broker-server.js', import.meta.url));

/** Start the fake broker and read the port it listens on. */
async function startFake(): Promise<Environment> {
  const child = spawn(process.execPath, [FAKE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    once(child, 'exit').then(([code]) => { throw new BenchError(`fake broker exited with code ${String(code)} before listening`); }),
  ]);
  const { port } = JSON.parse(first) as { port: number };
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}/`,
    async close() {
      lines.close();
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}

const def: BenchDefinition = {
  title: 'Client ceiling: each client against a fake broker in its own process',
  usage: `Usage: node build/bench/client/ceiling.js [flags]

Every client runs every workload in a child process of its own against a fake broker (a separate
process) that discards publishes, acks confirms with multiple after every read, and streams
pre-encoded deliveries honouring prefetch. Workloads:
${WORKLOADS.map((w) => `  ${w.name.padEnd(18)} ${w.about}`).join('\n')}

Flags:
${CLIENT_FLAGS_HELP}`,
  workloads: WORKLOADS,
  sizes: { timeMs: 2000, warmupMs: 300, rounds: 3, publishCount: () => 0, count: 0 },
  quickSizes: { timeMs: 400, warmupMs: 100, rounds: 3, publishCount: () => 0, count: 0 },
  targets: [
    { label: 'ceiling: publish >= 1.5x best peer', metric: 'throughput', op: '>=', value: 1.5, applies: (w) => w.kind === 'publish' || w.kind === 'confirm' },
    { label: 'ceiling: consume >= 1.5x best peer', metric: 'throughput', op: '>=', value: 1.5, applies: (w) => w.kind === 'consume' },
    { label: 'ceiling: client CPU per message <= 0.7x best peer', metric: 'cpu', op: '<=', value: 0.7, applies: () => true },
  ],
  setup: (_settings, url) => (url !== undefined ? Promise.resolve({ url, close: () => Promise.resolve() }) : startFake()),
};

runBench(def, process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench:client: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
