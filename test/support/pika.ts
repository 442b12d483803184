/**
 * Running the pika scripts of `test/interop/` (Debian's python3-pika under /usr/bin/python3) from
 * interop tests: spawn with a time limit and the broker URL, read stdout as JSON lines, fail with
 * the script's stderr. Also the two things both sides of an interop test must agree on: the fence
 * message that ends a consumer, and the tagged JSON form of Python values (see
 * `test/interop/common.py`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Channel } from '../../src/client/channel/channel.js';
import { connect } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import type { Message } from '../../src/client/message.js';
import { brokerUrl, REPO_ROOT } from './broker.js';

/** The interpreter that has pika: Debian's, not the pyenv one first on PATH. */
export const PIKA_PYTHON = process.env['PIKA_PYTHON'] || '/usr/bin/python3';
/** Where the scripts live. */
export const INTEROP_DIR = join(REPO_ROOT, 'test', 'interop');
/** `type` property of the message that ends a consumer (same value as `common.FENCE_TYPE`). */
export const FENCE_TYPE = 'amqpwire.interop.fence';

/** /usr/bin/python3 cannot import pika: the interop tests cannot run (they fail, never skip). */
export class PikaUnavailableError extends Error {
  override readonly name = 'PikaUnavailableError';
}

/** A script ended badly: exit code, signal or time limit, with what it printed. */
export class PikaScriptError extends Error {
  override readonly name = 'PikaScriptError';
  constructor(message: string, readonly stderr: string, readonly records: readonly PikaRecord[]) {
    super(`${message}\n--- stderr ---\n${stderr.trim() || '(empty)'}\n--- records ---\n${records.map((r) => JSON.stringify(r)).join('\n') || '(none)'}`);
  }
}

/** One JSON line a script printed; `event` says what it reports. */
export interface PikaRecord {
  event: string;
  [field: string]: unknown;
}

/** pika's version, or a {@link PikaUnavailableError} naming the interpreter and the fix. */
export function requirePika(): string {
  const probe = spawnSync(PIKA_PYTHON, ['-c', 'import pika; print(pika.__version__)'], { encoding: 'utf8', timeout: 15_000 });
  if (probe.status === 0) return probe.stdout.trim();
  const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? `exit ${String(probe.status)}`;
  throw new PikaUnavailableError(
    `${PIKA_PYTHON} cannot import pika (${why}): install it with 'apt-get install -y python3-pika', ` +
      'or point PIKA_PYTHON at a python3 that has pika',
  );
}

/** A running script. */
export interface PikaProcess {
  readonly child: ChildProcess;
  /** Records printed so far. */
  readonly records: PikaRecord[];
  /** The first record with this event (and matching `where`), waiting for it if need be. */
  waitFor(event: string, where?: (r: PikaRecord) => boolean): Promise<PikaRecord>;
  /** Every record, once the script exits 0; rejects with {@link PikaScriptError} otherwise. */
  readonly ended: Promise<PikaRecord[]>;
}

/** Options of {@link startPika}. */
export interface PikaOptions {
  /** Broker URL, passed as AMQP_URL. */
  url: string;
  /** Killed (and failed) after this many ms. Default 20000. */
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();

/** Start `python3 test/interop/<script> <JSON spec>`. */
export function startPika(script: string, spec: unknown, options: PikaOptions): PikaProcess {
  const child = spawn(PIKA_PYTHON, [join(INTEROP_DIR, script), JSON.stringify(spec)], {
    cwd: INTEROP_DIR,
    env: { ...process.env, AMQP_URL: options.url, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const records: PikaRecord[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let partial = '';
  let badLine: string | null = null;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as PikaRecord);
      } catch {
        badLine ??= line;
      }
    }
    for (const l of [...listeners]) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const limit = options.timeoutMs ?? 20_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, limit);
  let exit: string | null = null;
  const ended = new Promise<PikaRecord[]>((resolve, reject) => {
    child.on('error', (err) => (stderr += `\nspawn failed: ${err.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      exit = timedOut ? `was killed after ${limit} ms` : signal !== null ? `was killed by ${signal}` : `exited ${String(code)}`;
      for (const l of [...listeners]) l();
      if (code === 0 && badLine === null) resolve(records);
      else reject(new PikaScriptError(`${script} ${badLine === null ? exit : `printed a non-JSON line: ${badLine}`}`, stderr, records));
    });
  });
  // Failures still reach waitFor and whoever awaits `ended`; a test that only waits for
  // records must not turn a script's exit into an unhandled rejection.
  ended.catch(() => undefined);
  const waitFor = (event: string, where: (r: PikaRecord) => boolean = () => true): Promise<PikaRecord> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = records.find((r) => r.event === event && where(r));
        if (hit !== undefined) {
          listeners.delete(check);
          resolve(hit);
        } else if (exit !== null) {
          listeners.delete(check);
          reject(new PikaScriptError(`${script} ${exit} before printing a '${event}' record`, stderr, records));
        }
      };
      listeners.add(check);
      check();
    });
  return { child, records, waitFor, ended };
}

/** Run a script to its end; resolves with its records. */
export function runPika(script: string, spec: unknown, options: PikaOptions): Promise<PikaRecord[]> {
  return startPika(script, spec, options).ended;
}

/** Kill every script still running (for afterEach), and wait until they are gone. */
export async function killAllPika(): Promise<void> {
  const children = [...running];
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => new Promise((done) => (c.exitCode !== null || c.signalCode !== null ? done(null) : c.once('close', done)))));
}

/** The records of one event, in the order printed. */
export function recordsOf(records: readonly PikaRecord[], event: string): PikaRecord[] {
  return records.filter((r) => r.event === event);
}

/** Publish the fence to each queue through the default exchange (after every confirmed publish). */
export function sendFence(ch: Channel, queues: readonly string[]): void {
  for (const queue of queues) ch.basicPublish('', queue, 'fence', { type: FENCE_TYPE });
}

/**
 * Consume `queue` with noAck (as the seed's consumers do) until the fence arrives; `done`
 * resolves with every message before it, or rejects when the channel closes first.
 */
export async function collectUntilFence(ch: Channel, queue: string): Promise<{ done: Promise<Message[]> }> {
  const got: Message[] = [];
  let finish!: (messages: Message[]) => void;
  let fail!: (err: Error) => void;
  const done = new Promise<Message[]>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const onClose = (err?: Error): void => fail(err ?? new Error(`channel closed before the fence reached ${queue}`));
  ch.once('close', onClose);
  const { consumerTag } = await ch.basicConsume(queue, (msg) => {
    if (msg.properties.type !== FENCE_TYPE) return void got.push(msg);
    ch.off('close', onClose);
    finish(got);
    void ch.basicCancel(consumerTag).catch(() => undefined);
  }, { noAck: true });
  return { done };
}

/** A Python value in the tagged JSON form of `test/interop/common.py`. */
export type PyValue =
  | { type: 'none' }
  | { type: 'bool'; value: boolean }
  | { type: 'int' | 'long' | 'str' | 'decimal' | 'float'; value: string }
  | { type: 'bytes'; hex: string }
  | { type: 'datetime'; epoch: number }
  | { type: 'dict'; value: Record<string, PyValue> }
  | { type: 'list'; value: PyValue[] };

/** Builders for {@link PyValue}s. */
export const py = {
  none: (): PyValue => ({ type: 'none' }),
  bool: (value: boolean): PyValue => ({ type: 'bool', value }),
  /** A plain int: pika encodes it as `I` in the int32 range, `l` beyond; it decodes b/B/s/u/I/i to it. */
  int: (value: number | bigint): PyValue => ({ type: 'int', value: String(value) }),
  /** pika's `long` marker: always encoded as `l`, and what pika decodes `l` to. */
  long: (value: number | bigint): PyValue => ({ type: 'long', value: String(value) }),
  str: (value: string): PyValue => ({ type: 'str', value }),
  bytes: (value: Uint8Array): PyValue => ({ type: 'bytes', hex: Buffer.from(value).toString('hex') }),
  decimal: (value: string): PyValue => ({ type: 'decimal', value }),
  datetime: (epoch: number): PyValue => ({ type: 'datetime', epoch }),
  dict: (value: Record<string, PyValue>): PyValue => ({ type: 'dict', value }),
  list: (value: PyValue[]): PyValue => ({ type: 'list', value }),
};

/** What an interop test file works with; filled in by the hooks {@link useInterop} registers. */
export interface InteropContext {
  /** The broker's URL, handed to the scripts as AMQP_URL. */
  url: string;
  /** pika's version as /usr/bin/python3 reports it. */
  pikaVersion: string;
  conn: Connection;
  /** A plain channel: consumers, declarations, fences. */
  ch: Channel;
  /** A channel in confirm mode: `publishConfirmed` resolves once the broker has routed. */
  pub: Channel;
  /** Queues and exchanges to delete after the file (in addition to exclusive/auto-delete ones). */
  queues: string[];
  exchanges: string[];
}

/**
 * Registers the hooks of an interop test file: check pika (every test fails when it is missing,
 * none is skipped), connect, open the two channels; kill leftover scripts after each test; delete what the file declared at the end.
 */
export function useInterop(name: string): InteropContext {
  const ctx = { queues: [], exchanges: [] } as unknown as InteropContext;
  let unavailable: PikaUnavailableError | null = null;
  beforeAll(async () => {
    try {
      ctx.pikaVersion = requirePika();
    } catch (e) {
      if (!(e instanceof PikaUnavailableError)) throw e;
      unavailable = e;
      return;
    }
    ctx.url = brokerUrl();
    ctx.conn = await connect(ctx.url, { name });
    ctx.ch = await ctx.conn.channel();
    ctx.pub = await ctx.conn.channel();
    await ctx.pub.confirmSelect();
  });
  // Thrown per test, so each one is reported failed with the reason rather than skipped.
  beforeEach(() => {
    if (unavailable !== null) throw unavailable;
  });
  afterEach(killAllPika);
  afterAll(async () => {
    await killAllPika();
    if (ctx.conn === undefined) return;
    const ch = await ctx.conn.channel();
    for (const queue of ctx.queues) await ch.queueDelete(queue);
    for (const exchange of ctx.exchanges) await ch.exchangeDelete(exchange);
    await ctx.conn.close();
  });
  return ctx;
}
