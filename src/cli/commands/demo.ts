/**
 * `amqp-wire demo`: every seed pattern end to end on the broker, under names no one else uses,
 * with a transcript of what was sent and received and a PASS/FAIL summary.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { redactUrl, type Connection } from '../../index.js';
import { COMMON_HELP, COMMON_OPTIONS, CliUsageError, ExitCode, intOption, parse, parseArgs, resolveUrl, type BaseConfig } from '../args.js';
import { openConnection } from '../broker.js';
import type { Command, Io, RunContext } from '../command.js';
import type { DemoContext, DemoStep } from '../demo/context.js';
import { direct, fanout, topic } from '../demo/exchanges.js';
import { simpleQueue, workQueue } from '../demo/queues.js';
import { rpc } from '../demo/rpc.js';

/** Every step, in the seed's order. */
export const DEMO_STEPS: readonly DemoStep[] = [simpleQueue, workQueue, fanout, direct, topic, rpc];

/** Parsed `demo` arguments. */
export interface DemoConfig extends BaseConfig {
  /** Run only the steps whose titles contain one of these (case-insensitive). */
  only: string[];
  /** Limit per step, ms. */
  stepTimeout: number;
}

const HELP = `Usage: amqp-wire demo [--only NAME]... [--step-timeout MS] [options]

Run every pattern of the seed tutorial against the broker, end to end, with queue and
exchange names unique to this run (deleted afterwards):
  ${DEMO_STEPS.map((s, i) => `${i + 1}. ${s.title.padEnd(13)} ${s.seed}`).join('\n  ')}
Each step prints what it sent and received; a PASS/FAIL summary follows.

Options:
      --only NAME        run only the steps whose title contains NAME (repeatable)
      --step-timeout MS  fail a step that takes longer (default 20000)
${COMMON_HELP}

Exit codes: 0 every step passed, 1 a step failed, 2 usage, 3 cannot connect, 130 interrupted.`;

function parseDemo(argv: string[], env: Readonly<Record<string, string | undefined>>): DemoConfig {
  const { values: v } = parse(() => parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, only: { type: 'string', multiple: true }, 'step-timeout': { type: 'string' } },
  }));
  const only = (v.only ?? []).map((s) => s.toLowerCase());
  for (const name of only) {
    if (!DEMO_STEPS.some((s) => s.title.toLowerCase().includes(name))) {
      throw new CliUsageError(`--only '${name}' matches no step (steps: ${DEMO_STEPS.map((s) => s.title).join(', ')})`);
    }
  }
  return { help: v.help ?? false, url: resolveUrl(v.url, env), only, stepTimeout: intOption(v['step-timeout'], 'step-timeout', 1) ?? 20_000 };
}

interface Outcome {
  title: string;
  passed: boolean;
  detail: string;
}

/** Run one step with its cleanups and a time limit. */
async function runStep(step: DemoStep, conns: { producer: Connection; consumer: Connection }, prefix: string, io: Io, limit: number): Promise<Outcome> {
  const queues: string[] = [];
  const exchanges: string[] = [];
  const ctx: DemoContext = {
    ...conns, prefix,
    log: (line) => io.out(`  ${line}`),
    cleanupQueue: (name) => queues.push(name),
    cleanupExchange: (name) => exchanges.push(name),
  };
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const running = step.run(ctx);
  running.catch(() => undefined); // still settles after a timeout: nobody is listening then
  try {
    await Promise.race([
      running,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`did not finish within ${limit} ms`)), limit); }),
    ]);
    return { title: step.title, passed: true, detail: `${Date.now() - started} ms` };
  } catch (e) {
    const err = e as Error;
    return { title: step.title, passed: false, detail: err.name === 'DemoCheckError' ? err.message : `${err.name}: ${err.message}` };
  } finally {
    clearTimeout(timer);
    await cleanup(conns.producer, queues, exchanges);
  }
}

async function cleanup(conn: Connection, queues: readonly string[], exchanges: readonly string[]): Promise<void> {
  if (queues.length === 0 && exchanges.length === 0) return;
  const ch = await conn.channel().catch(() => null);
  if (ch === null) return;
  // A delete of something a failed step never declared closes the channel (404): one each.
  for (const q of queues) await ch.queueDelete(q).catch(() => undefined);
  for (const x of exchanges) await ch.exchangeDelete(x).catch(() => undefined);
  await ch.close().catch(() => undefined);
}

async function runDemo(c: DemoConfig, { io, signal }: RunContext): Promise<number> {
  const steps = c.only.length === 0 ? DEMO_STEPS : DEMO_STEPS.filter((s) => c.only.some((o) => s.title.toLowerCase().includes(o)));
  const prefix = `amqp-wire-demo-${randomUUID().slice(0, 8)}`;
  const producer = await openConnection(c.url, 'demo (producer)');
  let consumer: Connection | null = null;
  const outcomes: Outcome[] = [];
  try {
    consumer = await openConnection(c.url, 'demo (consumer)');
    io.out(`amqp-wire demo: ${steps.length} seed patterns against ${redactUrl(c.url)}, names prefixed '${prefix}'`);
    for (const [i, step] of steps.entries()) {
      if (signal.aborted) break;
      io.out('');
      io.out(`== ${i + 1}/${steps.length} ${step.title} (${step.seed})`);
      const outcome = await runStep(step, { producer, consumer }, prefix, io, c.stepTimeout);
      outcomes.push(outcome);
      io.out(`-- ${outcome.passed ? 'PASS' : 'FAIL'} ${step.title}: ${outcome.detail}`);
    }
  } finally {
    await consumer?.close();
    await producer.close();
  }
  io.out('');
  io.out('Summary');
  for (const o of outcomes) io.out(`  ${o.passed ? 'PASS' : 'FAIL'}  ${o.title}${o.passed ? '' : `: ${o.detail}`}`);
  const passed = outcomes.filter((o) => o.passed).length;
  if (signal.aborted) {
    io.out(`interrupted after ${outcomes.length} of ${steps.length} patterns`);
    return ExitCode.INTERRUPTED;
  }
  io.out(`${passed}/${steps.length} patterns passed: ${passed === steps.length ? 'PASS' : 'FAIL'}`);
  return passed === steps.length ? ExitCode.OK : ExitCode.FAILURE;
}

/** `amqp-wire demo`. */
export const demoCommand: Command<DemoConfig> = {
  name: 'demo',
  summary: 'run every seed pattern end to end and print PASS/FAIL (the quick check of a broker)',
  help: HELP,
  parse: parseDemo,
  run: runDemo,
};
