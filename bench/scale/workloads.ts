/**
 * The scale workloads for amqp-wire: each builds `n` of one kind of object (outstanding confirmed
 * publishes, channels, consumers, connections, RPC calls) against a real broker and reports the
 * time per object and the heap each one holds while it exists.
 *
 * Memory per object is (heap + external after a forced GC with all `n` alive) minus the same
 * before any was made, divided by `n`; the child runs with --expose-gc.
 * @packageDocumentation
 */
import { connect, type Channel, type Connection } from '../../src/index.js';

/** What one point measures. */
export interface PointResult {
  /** Wall time to complete all `n` operations, seconds. */
  seconds: number;
  /** Bytes of heap + external memory per live object, measured while all exist. */
  bytesPerObject: number;
}

/** Counted heap: JS heap plus memory outside it that buffers hold. */
export function heapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** The body every published message carries. */
const BODY = Buffer.alloc(16, 0x61);

/**
 * A queue that keeps the broker's memory flat whatever `n` is: server-named, exclusive, and
 * capped (the oldest message is dropped; its publish is still confirmed).
 */
async function cappedQueue(ch: Channel): Promise<string> {
  const { queue } = await ch.queueDeclare('', { exclusive: true, arguments: { 'x-max-length': 10_000 } });
  return queue;
}

type Workload = (url: string, n: number) => Promise<PointResult>;

/** `Promise.all` over n `publishConfirmed` calls on one confirm channel (the case). */
const confirms: Workload = async (url, n) => {
  const conn = await connect(url);
  try {
    const ch = await conn.channel();
    const queue = await cappedQueue(ch);
    await ch.confirmSelect();
    // Warm the path so the JIT does not bill the first point for compiling it.
    await Promise.all(Array.from({ length: 2000 }, () => ch.publishConfirmed('', queue, BODY)));
    const before = heapBytes();
    const t0 = performance.now();
    const all = new Array<Promise<void>>(n);
    for (let i = 0; i < n; i++) all[i] = ch.publishConfirmed('', queue, BODY);
    const during = heapBytes();
    await Promise.all(all);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, bytesPerObject: (during - before) / n };
  } finally {
    await conn.close();
  }
};

/** n channels opened at once on one connection. */
const channels: Workload = async (url, n) => {
  const conn = await connect(url);
  try {
    await (await conn.channel()).close();
    const before = heapBytes();
    const t0 = performance.now();
    const chs = await Promise.all(Array.from({ length: n }, () => conn.channel({ timeout: 600_000 })));
    const seconds = (performance.now() - t0) / 1000;
    const bytes = heapBytes() - before;
    if (chs.length !== n) throw new Error(`opened ${chs.length} of ${n} channels`);
    return { seconds, bytesPerObject: bytes / n };
  } finally {
    await conn.close();
  }
};

/**
 * n consumers on one queue spread over `channelsFor(n)` channels of one connection; then one
 * message per consumer, delivered round-robin, each acked. Time covers basic.consume and delivery.
 */
function consumersOn(channelsFor: (n: number) => number): Workload {
  return async (url, n) => {
    const conn = await connect(url);
    try {
      const setup = await conn.channel();
      const { queue } = await setup.queueDeclare('', { exclusive: true });
      const chCount = channelsFor(n);
      const chs = await Promise.all(Array.from({ length: chCount }, () => conn.channel()));
      let delivered = 0;
      let allDelivered: () => void = () => undefined;
      const done = new Promise<void>((r) => (allDelivered = r));
      const before = heapBytes();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: n }, (_, i) => chs[i % chCount]!.basicConsume(queue, (m) => {
        m.ack();
        if (++delivered === n) allDelivered();
        // The call timeout covers the wait behind every earlier basic.consume on the channel.
      }, { timeout: 600_000 })));
      const bytes = heapBytes() - before;
      for (let i = 0; i < n; i++) setup.basicPublish('', queue, BODY);
      await done;
      const seconds = (performance.now() - t0) / 1000;
      return { seconds, bytesPerObject: bytes / n };
    } finally {
      await conn.close();
    }
  };
}

/** n connections opened at once from one process. */
const connections: Workload = async (url, n) => {
  await (await connect(url)).close();
  const before = heapBytes();
  const t0 = performance.now();
  const conns: Connection[] = [];
  try {
    // Opened in waves of 100: RabbitMQ's accept queue is finite and a burst of 1,000 SYNs
    // measures the kernel's backlog, not the client.
    for (let i = 0; i < n; i += 100) {
      conns.push(...await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => connect(url))));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, bytesPerObject: (heapBytes() - before) / n };
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  }
};

/** n RPC calls in flight at once from one RpcClient to an echo server on a second connection. */
const rpc: Workload = async (url, n) => {
  const serverConn = await connect(url);
  const clientConn = await connect(url);
  try {
    const queue = `bench.scale.rpc.${process.pid}`;
    await serverConn.rpcServer(queue, (req) => req.body, { prefetch: 500, queueOptions: { exclusive: true } });
    const client = await clientConn.rpcClient();
    await Promise.all(Array.from({ length: 200 }, () => client.call(queue, BODY, { timeout: 60_000 })));
    const before = heapBytes();
    const t0 = performance.now();
    const calls = new Array<Promise<unknown>>(n);
    for (let i = 0; i < n; i++) calls[i] = client.call(queue, BODY, { timeout: 300_000 });
    const bytes = heapBytes() - before;
    await Promise.all(calls);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, bytesPerObject: bytes / n };
  } finally {
    await clientConn.close();
    await serverConn.close();
  }
};

/** Every series: its workload, what one object is, and the counts measured by default. */
export const SERIES = {
  confirms: { run: confirms, unit: 'confirmed publish', counts: [10_000, 100_000, 1_000_000] },
  channels: { run: channels, unit: 'channel', counts: [10, 100, 1000, 2047] },
  'consumers-channel': { run: consumersOn(() => 1), unit: 'consumer', counts: [10, 100, 1000, 10_000] },
  'consumers-connection': { run: consumersOn((n) => Math.min(n, 100)), unit: 'consumer', counts: [10, 100, 1000, 10_000] },
  connections: { run: connections, unit: 'connection', counts: [1, 10, 100, 1000] },
  rpc: { run: rpc, unit: 'RPC call', counts: [1, 10, 100, 1000, 10_000] },
} as const satisfies Record<string, { run: Workload; unit: string; counts: readonly number[] }>;

/** A series name. */
export type SeriesName = keyof typeof SERIES;
