/**
 * The command line shared by the two client benchmarks (`broker.ts`, `ceiling.ts`): flags, the
 * run, and the outputs.
 * @packageDocumentation
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FlagError, parseBenchArgs, type CommonDefaults, type CommonFlags } from '../lib/args.js';
import { describeMachine, machineInfo } from '../lib/machine.js';
import { progress } from '../lib/table.js';
import { CLIENTS, missingPeers, type ClientInfo } from './clients.js';
import { renderReport, reportJson, summarise, writeReportChart, type Target } from './report.js';
import { type Outcome, runPlan } from './runner.js';
import type { RunSettings, Workload } from './workloads.js';

/** Sizes of one run mode (normal or `--quick`). */
export interface Sizes extends Required<CommonDefaults> {
  /** Messages per publish run (0: time-bound). */
  publishCount: (w: Workload) => number;
  /** Messages per consume run (0: time-bound). */
  count: number;
}

/** What the bench needs while it runs. */
export interface Environment {
  readonly url: string;
  /** Before every run. */
  readonly prepare?: (w: Workload, c: ClientInfo) => Promise<void>;
  /** After all runs, also after a failure. */
  close(): Promise<void>;
}

/** One client benchmark. */
export interface BenchDefinition {
  readonly title: string;
  readonly usage: string;
  readonly workloads: readonly Workload[];
  readonly sizes: Sizes;
  readonly quickSizes: Sizes;
  readonly targets: readonly Target[];
  /** Start what the runs need, given the settings children will get. */
  setup(settings: Omit<RunSettings, 'url'>, url: string | undefined, quiet: boolean): Promise<Environment>;
}

/** Help text for the flags both client benches add to the common ones. */
export const CLIENT_FLAGS_HELP = `  --quick             about a minute: shorter runs, fewer messages
  --clients <list>    comma-separated client ids (default: all four)
  --filter <text>     only workloads whose name contains <text>
  --count <n>         messages per consume run (0: consume for --time)
  --prefetch <n>      basic.qos prefetch of consume runs (default 1000)
  --ack-every <n>     ack with multiple every n messages; 1 acks each one (default 100)
  --window <n>        confirmed publishes outstanding at once (default 1000)
  --peer-defaults     leave peers' sockets as they come (Nagle on); by default TCP_NODELAY is set on all
  --save <file>       also write the JSON report to <file> (the table still prints)
  --cpu-prof <dir>    write a V8 CPU profile of every amqp-wire run into <dir> (node --cpu-prof)`;

function int(v: string | boolean | undefined, flag: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new FlagError(`--${flag} needs a whole number >= ${min}, got '${String(v)}'`);
  return n;
}

function pickClients(list: string | undefined): ClientInfo[] {
  if (list === undefined) return [...CLIENTS];
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !CLIENTS.some((c) => c.id === id));
  if (unknown.length > 0) throw new FlagError(`unknown client(s) ${unknown.join(', ')}; known: ${CLIENTS.map((c) => c.id).join(', ')}`);
  return CLIENTS.filter((c) => ids.includes(c.id));
}

/** Everything the command line decides. */
interface Invocation {
  readonly common: CommonFlags;
  readonly quick: boolean;
  readonly sizes: Sizes;
  readonly settings: Omit<RunSettings, 'url'>;
  readonly clients: ClientInfo[];
  readonly workloads: Workload[];
  readonly url: string | undefined;
  readonly profileDir: string | undefined;
  readonly save: string | undefined;
}

function parseInvocation(def: BenchDefinition, argv: readonly string[]): Invocation {
  const quick = argv.includes('--quick');
  const sizes = quick ? def.quickSizes : def.sizes;
  const { common, values } = parseBenchArgs(argv, def.usage, {
    quick: { type: 'boolean', default: false }, clients: { type: 'string' }, filter: { type: 'string' },
    url: { type: 'string' }, count: { type: 'string' }, prefetch: { type: 'string' }, 'ack-every': { type: 'string' },
    window: { type: 'string' }, 'peer-defaults': { type: 'boolean', default: false }, 'cpu-prof': { type: 'string' },
    save: { type: 'string' },
  }, sizes);
  const clients = pickClients(values.clients as string | undefined);
  const missing = missingPeers().filter((p) => clients.some((c) => c.peerPackage === p));
  if (missing.length > 0) throw new FlagError(`peer clients not installed: ${missing.join(', ')}; run: npm install --prefix bench/peers`);
  const filter = values.filter as string | undefined;
  const workloads = def.workloads.filter((w) => filter === undefined || w.name.includes(filter));
  if (workloads.length === 0) throw new FlagError(`no workload matches --filter '${filter}'`);
  const settings = {
    timeMs: common.timeMs, warmupMs: common.warmupMs, publishCount: 0,
    count: int(values.count, 'count', sizes.count, 0),
    prefetch: int(values.prefetch, 'prefetch', 1000, 1),
    ackEvery: int(values['ack-every'], 'ack-every', 100, 1),
    window: int(values.window, 'window', 1000, 1),
    peerDefaults: values['peer-defaults'] === true,
  };
  return {
    common, quick, sizes, settings, clients, workloads,
    url: values.url as string | undefined, profileDir: values['cpu-prof'] as string | undefined, save: values.save as string | undefined,
  };
}

function childArgs(inv: Invocation, w: Workload): string[] {
  const s = inv.settings;
  return [
    '--time', String(s.timeMs), '--warmup', String(s.warmupMs), '--publish-count', String(inv.sizes.publishCount(w)),
    '--count', String(s.count), '--prefetch', String(s.prefetch), '--ack-every', String(s.ackEvery), '--window', String(s.window),
    ...(s.peerDefaults ? ['--peer-defaults'] : []),
  ];
}

/** Parse flags, run every workload for every client, print and write the report. */
export async function runBench(def: BenchDefinition, argv: readonly string[]): Promise<void> {
  const inv = parseInvocation(def, argv);
  const { common, profileDir } = inv;
  const machine = machineInfo();
  if (machine.load1 > 1) progress(`warning: load average ${machine.load1} on ${machine.cores} cores; figures will be low and noisy`, common.quiet);
  const env = await def.setup(inv.settings, inv.url, common.quiet);
  let outcome: Outcome;
  try {
    outcome = await runPlan({
      workloads: inv.workloads, clients: inv.clients, rounds: common.rounds, url: env.url, quiet: common.quiet,
      childTimeoutMs: 120_000 + common.timeMs * 4,
      nodeFlags: (c) => (profileDir !== undefined && c.id === 'amqp-wire' ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      ...(env.prepare ? { prepare: env.prepare } : {}),
      childArgs: (w) => childArgs(inv, w),
    });
  } finally {
    await env.close();
  }
  const summary = summarise(def.title, inv.workloads, inv.clients.map((c) => c.id), outcome, def.targets);
  const described = `${describeMachine(machine)}; ${common.rounds} round(s), medians`;
  const recorded = {
    ...inv.settings, rounds: common.rounds, quick: inv.quick,
    publishCount: Object.fromEntries(inv.workloads.map((w) => [w.name, inv.sizes.publishCount(w)])),
  };
  const json = JSON.stringify(reportJson(summary, machine, recorded));
  if (common.json) process.stdout.write(`${json}\n`);
  else process.stdout.write(renderReport(summary, described));
  if (inv.save !== undefined) {
    mkdirSync(dirname(inv.save), { recursive: true });
    writeFileSync(inv.save, `${json}\n`);
  }
  if (common.svg) {
    writeReportChart(common.svg, summary, described);
    progress(`chart written to ${common.svg}`, common.quiet);
  }
}
