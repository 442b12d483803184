/**
 * Shared pieces of the reliability suite (`reliability-*.test.ts`): unique names, connections the
 * broker can find again by name, channels staged with operations to leave pending, timing of
 * promises that must settle, process fault recording,
 * a c2s frame scanner and heap measurement after a forced GC.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect, type Channel, type Connection, type ConnectionOptions, type ConsumerIterator } from '../../src/index.js';
import { FrameParser } from '../../src/frames/parser.js';
import { brokerUrl } from '../support/broker.js';
import { startFaultProxy, type FaultProxy, type ProxyConnection } from '../support/fault-proxy.js';

/** A name no other test (or other worker's run) uses: `amqpwire-rel-<what>-<random>`. */
export function uniqueName(what: string): string {
  return `amqpwire-rel-${what}-${randomBytes(4).toString('hex')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Host and port of the broker in use. */
export function brokerAddress(): { host: string; port: number } {
  const url = new URL(brokerUrl());
  return { host: url.hostname, port: url.port === '' ? 5672 : Number(url.port) };
}

/** Connects straight to the broker with `client_properties.connection_name` = `name`. */
export function connectNamed(name: string, options: ConnectionOptions = {}): Promise<Connection> {
  return connect(brokerUrl(), { ...options, name });
}

/** A connection through a fresh fault proxy, with the proxy's side of it. */
export interface Proxied {
  proxy: FaultProxy;
  link: ProxyConnection;
  conn: Connection;
}

/** Starts a fault proxy in front of the broker and connects through it. */
export async function connectProxied(name: string, options: ConnectionOptions = {}): Promise<Proxied> {
  const proxy = await startFaultProxy(brokerAddress());
  const next = proxy.nextConnection();
  const { username, password } = new URL(brokerUrl());
  const conn = await connect({
    host: '127.0.0.1', port: proxy.port, username: decodeURIComponent(username), password: decodeURIComponent(password),
    ...options, name,
  });
  return { proxy, link: await next, conn };
}

/** Polls `check` every 10 ms until it is true; throws after `timeoutMs` naming `what`. */
export async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Channels of one connection with one operation of each kind ready to be left pending: `rpc` for
 * a synchronous method, `get` for basic.get on `queue`, `confirm` in confirm mode, and a consumer
 * iterator on `queue` (an exclusive queue of the connection, empty).
 */
export interface Stage {
  queue: string;
  rpc: Channel;
  get: Channel;
  confirm: Channel;
  iterator: ConsumerIterator;
}

/** Sets up a {@link Stage} on `conn`; its queue is named after `what`. */
export async function stage(conn: Connection, what: string): Promise<Stage> {
  const admin = await conn.channel();
  const queue = uniqueName(what);
  await admin.queueDeclare(queue, { exclusive: true });
  const [rpc, get, confirm, consume] = await Promise.all([conn.channel(), conn.channel(), conn.channel(), conn.channel()]);
  await confirm.confirmSelect();
  const iterator = consume.consume(queue);
  await until('basic.consume-ok', () => iterator.tag !== '');
  return { queue, rpc, get, confirm, iterator };
}

/** One promise under watch: when it settled (performance.now() ms) and how. */
export interface Watched {
  readonly label: string;
  readonly promise: Promise<unknown>;
  settledAt: number | null;
  outcome: 'pending' | 'resolved' | 'rejected';
  error: unknown;
}

/** Starts watching `promise`; the watch handles its rejection. */
export function watch(label: string, promise: Promise<unknown>): Watched {
  const w: Watched = { label, promise, settledAt: null, outcome: 'pending', error: undefined };
  promise.then(
    () => { w.settledAt = performance.now(); w.outcome = 'resolved'; },
    (error: unknown) => { w.settledAt = performance.now(); w.outcome = 'rejected'; w.error = error; },
  );
  return w;
}

/** Waits until every watched promise settled or `capMs` passed. */
export async function settleAll(watched: readonly Watched[], capMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((done) => { timer = setTimeout(done, capMs); });
  await Promise.race([Promise.allSettled(watched.map((w) => w.promise)), cap]);
  clearTimeout(timer);
  await new Promise((done) => setImmediate(done));
}

/** `promise`, or undefined once `ms` passed; leaves no timer behind. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<undefined>((done) => { timer = setTimeout(() => done(undefined), ms); });
  try {
    return await Promise.race([promise, cap]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What went wrong with each watched promise that should have rejected within `limitMs` of `t0`:
 * empty when all did. Entries read `label: still pending`, `label: resolved`, `label: rejected
 * after 1234 ms`, or `label: rejected with X, not Y`.
 */
export function lateOrWrong(
  watched: readonly Watched[], t0: number, limitMs: number, errorType?: abstract new (...a: never[]) => Error,
): string[] {
  const problems: string[] = [];
  for (const w of watched) {
    if (w.outcome !== 'rejected') problems.push(`${w.label}: ${w.outcome === 'pending' ? 'still pending' : 'resolved'}`);
    else if ((w.settledAt ?? Infinity) - t0 > limitMs) problems.push(`${w.label}: rejected after ${Math.round(w.settledAt! - t0)} ms`);
    else if (errorType && !(w.error instanceof errorType)) {
      problems.push(`${w.label}: rejected with ${(w.error as Error)?.name ?? String(w.error)}, not ${errorType.name}`);
    }
  }
  return problems;
}

/** Slowest settle time among `watched`, from `t0`, in ms. */
export function slowest(watched: readonly Watched[], t0: number): number {
  return Math.max(0, ...watched.map((w) => (w.settledAt ?? Infinity) - t0));
}

/** What the process reported while a recorder was installed. */
export interface ProcessFaults {
  uncaught: unknown[];
  unhandled: unknown[];
  /** `process.emitWarning` calls of type AMQPWireWarning: errors the client reported instead of throwing. */
  clientWarnings: Error[];
  dispose(): void;
}

/** Records uncaught exceptions, unhandled rejections and the client's warnings until `dispose()`. */
export function recordProcessFaults(): ProcessFaults {
  const faults: ProcessFaults = {
    uncaught: [], unhandled: [], clientWarnings: [],
    dispose: () => {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUnhandled);
      process.off('warning', onWarning);
    },
  };
  const onUncaught = (e: unknown): void => { faults.uncaught.push(e); };
  const onUnhandled = (e: unknown): void => { faults.unhandled.push(e); };
  const onWarning = (w: Error): void => { if (w.name === 'AMQPWireWarning') faults.clientWarnings.push(w); };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  process.on('warning', onWarning);
  return faults;
}

/** A method frame seen in a byte stream: channel, class id, method id. */
export interface SeenMethod {
  channel: number;
  classId: number;
  methodId: number;
}

/**
 * Records the bytes passing through `link` in one direction (`c2s`: what the client sends, read on
 * the proxy's client socket; `s2c`: what the broker sends) and lists the method frames in them.
 * Start it after the handshake, while the connection is idle, so that it begins on a frame boundary.
 */
export function recordMethods(link: ProxyConnection, direction: 'c2s' | 's2c'): () => SeenMethod[] {
  const chunks: Buffer[] = [];
  (direction === 'c2s' ? link.client : link.upstream).on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => {
    const bytes = Buffer.concat(chunks);
    const seen: SeenMethod[] = [];
    new FrameParser().push(bytes, {
      onFrame(type, channel, buf, start) {
        if (type === 1) seen.push({ channel, classId: buf.readUInt16BE(start), methodId: buf.readUInt16BE(start + 2) });
      },
    });
    return seen;
  };
}

/** Bytes the client holds in user space for the broker: its frame writer plus the socket's buffer. */
export function bufferedBytes(conn: Connection): number {
  return conn.bufferedAmount;
}

let gcFunction: (() => void) | undefined;

/** A garbage collector to call, without starting node with --expose-gc. */
export function forceGc(): void {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/** heapUsed after full collections (median of three measurements). */
export async function settledHeap(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((done) => setImmediate(done));
    forceGc();
    forceGc();
    samples.push(process.memoryUsage().heapUsed);
  }
  return samples.sort((a, b) => a - b)[1]!;
}

export const MiB = 1024 * 1024;
