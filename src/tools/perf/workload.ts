/**
 * The producers and consumers of one thread: each on its own connection, publishing PerfTest's
 * body (big-endian int32 sequence, big-endian int64 timestamp, zeros) and timing it on arrival.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Channel, type Connection, connect, NackError, type Message } from '../../index.js';
import type { PerfConfig } from './flags.js';
import { Counters, type Sample } from './metrics.js';

/** The PerfTest body header: int32 sequence + int64 timestamp. */
export const HEADER_SIZE = 12;

/** Now on the clock the body carries: ns of the monotonic clock (same process), or wall-clock ms (`-ms`). */
export function stampNow(useMillis: boolean): bigint {
  return useMillis ? BigInt(Date.now()) : process.hrtime.bigint();
}

/** Write PerfTest's header into `body` (at least 12 bytes). */
export function writeHeader(body: Buffer, sequence: number, stamp: bigint): void {
  body.writeInt32BE(sequence | 0, 0);
  body.writeBigInt64BE(stamp, 4);
}

/** Sequence and timestamp of a PerfTest body; null when it is too short. */
export function readHeader(body: Buffer): { sequence: number; stamp: bigint } | null {
  if (body.length < HEADER_SIZE) return null;
  return { sequence: body.readInt32BE(0), stamp: body.readBigInt64BE(4) };
}

/** Latency in ns of a body stamped with {@link stampNow}. */
function latencyNs(stamp: bigint, useMillis: boolean): number {
  return useMillis ? (Date.now() - Number(stamp)) * 1e6 : Number(process.hrtime.bigint() - stamp);
}

/** What every thread of a run shares, decided once by the main thread. */
export interface RunPlan {
  config: PerfConfig;
  /** URIs to connect to (the null broker's when it runs). */
  uris: string[];
  /** Routing key when neither -k nor a named queue gives one. */
  routingKey: string;
}

/** The producers and consumers (by global index) one thread runs. */
export interface Share {
  producers: number[];
  consumers: number[];
}

/** Producer `i`'s routing key and, with named queues, its queue. */
function producerKey(plan: RunPlan, i: number): string {
  const c = plan.config;
  if (c.routingKey !== undefined) return c.routingKey;
  if (c.queues.length > 0) return c.queues[i % c.queues.length]!;
  return plan.routingKey;
}

/**
 * Declare the exchange and the named queues (-u, -qp) and bind them, once per run, before any
 * consumer or producer starts. Server-named queues are declared by their consumers.
 */
export async function declareTopology(plan: RunPlan): Promise<void> {
  const c = plan.config;
  if (c.predeclared) return;
  const conn = await connect(plan.uris[0]!, { name: `perf ${c.id} setup` });
  try {
    const ch = await conn.channel();
    if (c.exchange !== '' && !c.exchange.startsWith('amq.')) await ch.exchangeDeclare(c.exchange, c.type);
    for (const q of c.queues) {
      await ch.queueDeclare(q, { durable: c.persistent, autoDelete: c.autoDelete, arguments: c.queueArgs });
      if (c.exchange !== '') await ch.queueBind(q, c.exchange, c.routingKey ?? q);
    }
  } finally {
    await conn.close();
  }
}

/** The producers and consumers of this thread, and their counters. */
export class LocalRun {
  readonly counters = new Counters();
  private readonly connections: Connection[] = [];
  private stopping = false;
  private halt!: () => void;
  /** Resolves when the run stops: wakes producers waiting for a confirm place. */
  private readonly halted = new Promise<void>((r) => { this.halt = r; });
  private readonly loops: Promise<void>[] = [];
  private producersLeft: number;
  private consumersLeft: number;
  /** Called once every producer (or consumer) of this thread has reached its message limit. */
  onProducersDone: () => void = () => {};
  onConsumersDone: () => void = () => {};

  constructor(private readonly plan: RunPlan, private readonly share: Share) {
    this.producersLeft = share.producers.length * plan.config.producerChannels;
    this.consumersLeft = share.consumers.length * plan.config.consumerChannels;
  }

  private async open(role: string, i: number): Promise<Connection> {
    const c = this.plan.config;
    const uri = this.plan.uris[i % this.plan.uris.length]!;
    const conn = await connect(uri, { name: `perf ${c.id} ${role} #${i}`, maxConfirmsInFlight: Math.max(1, c.confirm) });
    this.connections.push(conn);
    conn.on('error', () => undefined);
    return conn;
  }

  /** Open the consumers and start them consuming. */
  async startConsumers(io: (line: string) => void): Promise<void> {
    const c = this.plan.config;
    for (const i of this.share.consumers) {
      io(`id: ${c.id}, starting consumer #${i}`);
      const conn = await this.open('consumer', i);
      for (let k = 0; k < c.consumerChannels; k++) {
        io(`id: ${c.id}, consumer #${i}, channel #${k}`);
        const ch = await conn.channel();
        ch.on('error', () => undefined);
        await this.consume(ch, i);
      }
    }
  }

  private async consume(ch: Channel, i: number): Promise<void> {
    const c = this.plan.config;
    let queue: string;
    if (c.queues.length > 0) {
      queue = c.queues[i % c.queues.length]!;
    } else {
      queue = (await ch.queueDeclare('', { exclusive: true, autoDelete: true, arguments: c.queueArgs })).queue;
      if (c.exchange !== '') await ch.queueBind(queue, c.exchange, c.routingKey ?? this.plan.routingKey);
    }
    if (c.qos > 0) await ch.basicQos(c.qos);
    if (c.globalQos > 0) await ch.basicQos(c.globalQos, { global: true });
    const counters = this.counters;
    let taken = 0;
    let unacked = 0;
    let last: Message | null = null;
    let done = false;
    const start = performance.now();
    const handle = (m: Message): void => {
      if (done) return;
      counters.received++;
      taken++;
      const h = readHeader(m.body);
      if (h !== null) counters.consumerLatency.record(latencyNs(h.stamp, c.useMillis));
      if (!c.autoAck) {
        if (c.multiAckEvery > 0) {
          last = m;
          if (++unacked >= c.multiAckEvery) {
            m.ack(true);
            unacked = 0;
            last = null;
          }
        } else {
          m.ack();
        }
      }
      if (c.cmessages > 0 && taken >= c.cmessages) {
        done = true;
        if (last !== null) (last as Message).ack(true);
        if (--this.consumersLeft === 0) this.onConsumersDone();
      }
    };
    // -R: each delivery is handled (timed and acked) at its turn; with -q the broker waits for acks.
    let handled = 0;
    const onMessage = c.consumerRate > 0
      ? (m: Message): void => {
        const due = start + (handled++ * 1000) / c.consumerRate;
        const wait = due - performance.now();
        if (wait <= 0) handle(m);
        else setTimeout(() => handle(m), wait);
      }
      : handle;
    await ch.basicConsume(queue, onMessage, { noAck: c.autoAck });
  }

  /** Open the producers and start publishing. */
  async startProducers(io: (line: string) => void): Promise<void> {
    const c = this.plan.config;
    for (const i of this.share.producers) {
      io(`id: ${c.id}, starting producer #${i}`);
      const conn = await this.open('producer', i);
      for (let k = 0; k < c.producerChannels; k++) {
        io(`id: ${c.id}, producer #${i}, channel #${k}`);
        const ch = await conn.channel();
        ch.on('error', () => undefined);
        if (c.confirm > 0) await ch.confirmSelect();
        ch.on('return', () => { this.counters.returned++; });
        this.loops.push(this.produce(ch, i).then(() => {
          if (c.pmessages > 0 && --this.producersLeft === 0) this.onProducersDone();
        }, () => undefined));
      }
    }
  }

  private async produce(ch: Channel, i: number): Promise<void> {
    const c = this.plan.config;
    const counters = this.counters;
    const exchange = c.exchange;
    const key = producerKey(this.plan, i);
    const properties = c.persistent ? { deliveryMode: 2 } : {};
    const options = { mandatory: c.mandatory };
    const timeoutNs = c.confirmTimeout * 1e9;
    let outstanding = 0;
    let wake: (() => void) | null = null;
    const settled = (): void => {
      outstanding--;
      if (wake !== null) {
        const w = wake;
        wake = null;
        w();
      }
    };
    const start = performance.now();
    let sequence = 0;
    while (!this.stopping && (c.pmessages === 0 || sequence < c.pmessages)) {
      if (c.rate > 0) {
        const wait = start + (sequence * 1000) / c.rate - performance.now();
        if (wait > 0) await Promise.race([sleep(wait), this.halted]);
        if (this.stopping) break;
      }
      // A fresh body per message: a publish waiting for a confirm place may still hold it.
      const body = Buffer.alloc(c.size);
      writeHeader(body, sequence, stampNow(c.useMillis));
      const rk = c.randomRoutingKey ? randomUUID() : key;
      if (c.confirm > 0) {
        while (outstanding >= c.confirm && !this.stopping) await Promise.race([new Promise<void>((r) => { wake = r; }), this.halted]);
        if (this.stopping) break;
        outstanding++;
        const t0 = process.hrtime.bigint();
        ch.publishConfirmed(exchange, rk, body, properties, options).then(() => {
          const ns = Number(process.hrtime.bigint() - t0);
          counters.confirmed++;
          counters.confirmLatency.record(ns);
          if (ns > timeoutNs) counters.confirmTimeouts++;
          settled();
        }, (e: unknown) => {
          if (e instanceof NackError) counters.nacked++;
          // An unroutable mandatory publish is counted by the channel's 'return' event.
          settled();
        });
        counters.sent++;
      } else {
        const more = ch.basicPublish(exchange, rk, body, properties, options);
        counters.sent++;
        if (!more) await ch.drained();
      }
      sequence++;
      // Let timers, deliveries and confirms run between bursts.
      if ((sequence & 255) === 0) await new Promise((r) => setImmediate(r));
    }
    if (c.confirm > 0) {
      const deadline = performance.now() + Math.min(timeoutNs / 1e6, 5000);
      while (outstanding > 0 && performance.now() < deadline) await sleep(10);
      if (outstanding > 0 && !this.stopping) counters.confirmTimeouts += outstanding;
    }
  }

  /** This interval's sample. */
  take(): Sample {
    return this.counters.take();
  }

  /** Stop publishing and consuming, and close every connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.halt();
    await Promise.race([Promise.allSettled(this.loops), sleep(6000)]);
    await Promise.allSettled(this.connections.map((conn) => conn.close()));
    this.counters.stop();
  }
}
