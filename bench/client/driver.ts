/**
 * The workload loops, run inside a child process against one adapter. The loops are the same
 * for every client; only the adapter calls differ.
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import type { ClientAdapter } from './adapter.js';
import { BenchError, PUBLISH_QUEUE, consumeQueue, rpcQueue, type RunResult, type RunSettings, type Workload } from './workloads.js';

/** Operations between two reads of the clock. */
const BATCH = 100;
/** How long a client may take to close once the run is measured. */
const CLOSE_WAIT_MS = 5000;

/**
 * Publish for `ms` (or, with `count` > 0, exactly `count` messages), awaiting whatever
 * backpressure the client signals; then one round trip on the same channel, so the time includes
 * the broker reading everything the client buffered on the way.
 */
async function publishFor(a: ClientAdapter, body: Buffer, ms: number, count: number): Promise<number> {
  const deadline = performance.now() + ms;
  let n = 0;
  do {
    for (let i = 0; i < BATCH; i++) {
      const wait = a.publish(PUBLISH_QUEUE, body);
      if (wait !== undefined) await wait;
    }
    n += BATCH;
  } while (count > 0 ? n < count : performance.now() < deadline);
  await a.sync(PUBLISH_QUEUE);
  return n;
}

/**
 * After a measured publish run: the queue must come to hold at least `n` messages, or the client
 * dropped some and its rate means nothing. RabbitMQ's count may trail the channel by a moment.
 */
async function checkPublished(a: ClientAdapter, n: number): Promise<void> {
  const give = performance.now() + 10_000;
  for (;;) {
    const seen = await a.sync(PUBLISH_QUEUE);
    if (seen >= n) return;
    if (performance.now() > give) throw new BenchError(`the broker holds ${seen} messages after ${n} publishes`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Confirmed publishes for `ms` with at most `window` outstanding; counts confirmed ones after
 * every outstanding publish settled. The loop waits for a free place only when the window is
 * full, and one wake-up lets it fill every place freed by then (brokers ack with `multiple`).
 */
async function confirmFor(a: ClientAdapter, body: Buffer, ms: number, window: number): Promise<number> {
  let inflight = 0;
  let confirmed = 0;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const settle = (): void => {
    inflight--;
    if (wake !== null) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const ok = (): void => { confirmed++; settle(); };
  const fail = (err: unknown): void => { failure ??= err; settle(); };
  const deadline = performance.now() + ms;
  do {
    for (let i = 0; i < BATCH; i++) {
      while (inflight >= window) await new Promise<void>((r) => { wake = r; });
      inflight++;
      const wait = a.publishConfirmed(PUBLISH_QUEUE, body, ok, fail);
      if (wait !== undefined) await wait;
    }
    if (failure !== null) throw failure;
  } while (performance.now() < deadline);
  while (inflight > 0) await new Promise<void>((r) => { wake = r; });
  if (failure !== null) throw failure;
  return confirmed;
}

/** Sequential round trips for `ms`. */
async function rpcFor(a: ClientAdapter, queue: string, body: Buffer, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let n = 0;
  do {
    for (let i = 0; i < 10; i++) await a.rpcCall(queue, body);
    n += 10;
  } while (performance.now() < deadline);
  return n;
}

function mib(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

/** Set up, warm up where the workload allows, and measure one workload. */
export async function runWorkload(a: ClientAdapter, w: Workload, s: RunSettings): Promise<RunResult> {
  const startRss = process.memoryUsage.rss();
  const body = Buffer.alloc(w.bodySize, 0x61);
  const warmMs = s.warmupMs;
  await a.connect(s.url, { noDelay: !s.peerDefaults || a.name === 'amqp-wire', kind: w.kind, window: s.window });
  let work: () => Promise<number>;
  let check = (_ops: number): Promise<void> => Promise.resolve();
  switch (w.kind) {
    case 'publish':
      await a.openPublisher(false);
      if (warmMs > 0) await publishFor(a, body, warmMs, Math.ceil(s.publishCount / 10));
      work = () => publishFor(a, body, s.timeMs, s.publishCount);
      check = (ops) => checkPublished(a, ops);
      break;
    case 'confirm':
      await a.openPublisher(true);
      if (warmMs > 0) await confirmFor(a, body, warmMs, s.window);
      work = () => confirmFor(a, body, s.timeMs, s.window);
      break;
    case 'consume': {
      // From a queue filled beforehand (count-bound) or an endless fake stream (time-bound).
      const queue = consumeQueue(w.bodySize);
      const base = { prefetch: s.prefetch, ackEvery: s.ackEvery, noAck: w.noAck };
      work = () => a.consume(queue, s.count > 0
        ? { ...base, count: s.count, deadline: Infinity }
        : { ...base, count: Infinity, deadline: performance.now() + s.timeMs });
      break;
    }
    case 'rpc': {
      const queue = rpcQueue(a.name);
      await a.rpcSetup(queue);
      if (warmMs > 0) await rpcFor(a, queue, body, warmMs);
      work = () => rpcFor(a, queue, body, s.timeMs);
      break;
    }
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ops = await work();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  await check(ops);
  // The figures are in; a client whose close hangs must not lose them.
  await Promise.race([a.close(), new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]);
  return {
    client: a.name, version: a.version, workload: w.name, ops, seconds,
    opsPerSec: ops / seconds,
    cpuUsPerOp: (cpu.user + cpu.system) / ops,
    cpuSysUsPerOp: cpu.system / ops,
    peakRssMiB: mib(peakRss),
    startRssMiB: mib(startRss),
  };
}
