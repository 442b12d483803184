/**
 * One client connection to the benchmark's fake broker. It answers the handshake and every
 * synchronous method the workloads use, and otherwise does as little as it can:
 *
 * - basic.publish is counted and dropped, unless a consumer on this connection reads the queue it
 *   is routed to (RPC): then it is delivered with the same properties and body;
 * - on a confirm channel every read is answered with one `basic.ack(multiple)` for the last publish;
 * - a consumer on `bench.consume.<size>` gets pre-encoded deliveries of that body size without
 *   end, at most `prefetch` unacked (none counted with noAck), as fast as the socket takes them.
 *
 * Routed deliveries (RPC) ignore prefetch: the RPC workload has one request in flight at a time.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { writeContent } from '../../src/frames/content.js';
import { Writer } from '../../src/frames/writer.js';
import { encodeMethod } from '../../src/methods/codec.js';
import { BASIC_ACK_KEY, encodeBasicAck } from '../../src/methods/fast-path.js';
import type { Method } from '../../src/methods/types.js';
import { SERVER_CAPABILITIES } from '../../src/protocol/capabilities.js';
import type { Content, SessionHandler } from '../../src/protocol/events.js';
import { ServerHandshake } from '../../src/protocol/server-handshake.js';
import { Session } from '../../src/protocol/session.js';
import { DELIVERIES_PER_BLOCK, DeliveryTemplate } from './fake-stream.js';
import { BenchError } from './workloads.js';

const FRAME_MAX = 131072;
/** Stop streaming while the socket holds this much unsent. */
const STREAM_HIGH_WATER = 512 * 1024;
const STREAM_PREFIX = 'bench.consume.';
/** RabbitMQ's own limit on a message body. */
const MAX_BODY_SIZE = 512 * 1024 * 1024;

interface Consumer {
  readonly tag: string;
  readonly channel: ChannelState;
  readonly noAck: boolean;
  /** Set for a `bench.consume.<size>` consumer. */
  readonly stream: DeliveryTemplate | null;
}

class ChannelState {
  prefetch = 0;
  nextTag = 1;
  /** Every tag up to here is acked. */
  ackFloor = 0;
  /** Acked tags above the floor (single acks out of order). */
  readonly acked = new Set<number>();
  unacked = 0;
  confirm = false;
  publishSeq = 0;
  confirmedSeq = 0;
  constructor(readonly id: number) {}

  /** basic.ack / nack / reject from the client: free prefetch credit. */
  settle(tag: number, multiple: boolean): void {
    if (tag <= this.ackFloor) return;
    if (multiple) {
      let above = 0;
      for (const t of this.acked) {
        if (t <= tag) {
          this.acked.delete(t);
          above++;
        }
      }
      this.unacked -= tag - this.ackFloor - above;
      this.ackFloor = tag;
    } else if (!this.acked.has(tag)) {
      this.acked.add(tag);
      this.unacked--;
    }
    while (this.acked.delete(this.ackFloor + 1)) this.ackFloor++;
  }
}

/** One accepted connection. */
export class FakeSession implements SessionHandler {
  private readonly w = new Writer(64 * 1024, FRAME_MAX);
  private readonly session: Session;
  private readonly handshake: ServerHandshake;
  private readonly channels = new Map<number, ChannelState>();
  private readonly streams: Consumer[] = [];
  /** Queue name -> the consumer that reads it on this connection (RPC routing). */
  private readonly routes = new Map<string, Consumer>();
  private frameMax = FRAME_MAX;
  private names = 0;
  /** Publishes seen on this connection; a passive queue.declare reports it as the message count. */
  private published = 0;

  constructor(private readonly socket: Socket) {
    this.handshake = new ServerHandshake(
      {
        serverProperties: { product: 'amqp-wire bench fake broker', version: '1.0', platform: 'Node.js', capabilities: { ...SERVER_CAPABILITIES } },
        tune: { frameMax: FRAME_MAX },
      },
      { send: (name, args) => encodeMethod(this.w, 0, name, args) },
    );
    this.session = new Session(this, {
      role: 'server', maxBodySize: MAX_BODY_SIZE, maxFrameSize: FRAME_MAX, onProtocolHeader: () => this.handshake.start(),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', () => socket.destroy());
  }

  private onData(chunk: Buffer): void {
    try {
      this.session.push(chunk);
    } catch (e) {
      process.stderr.write(`fake broker: ${(e as Error).message}\n`);
      this.socket.destroy();
      return;
    }
    for (const ch of this.channels.values()) {
      if (ch.confirm && ch.publishSeq > ch.confirmedSeq) {
        encodeBasicAck(this.w, ch.id, ch.publishSeq, true);
        ch.confirmedSeq = ch.publishSeq;
      }
    }
    this.pump();
  }

  private flush(): void {
    if (this.w.pos > 0 && this.socket.writable) this.socket.write(this.w.flush());
  }

  /** SessionHandler: nothing to do, the fake sends no heartbeats and watches none. */
  onHeartbeat(): void {}

  /** SessionHandler */
  onMethod(channel: number, m: Method, key: number): void {
    if (key === BASIC_ACK_KEY) {
      const a = (m as Method<'basic.ack'>).args;
      return this.channel(channel).settle(a.deliveryTag, a.multiple);
    }
    if (channel === 0 && this.handshake.expecting !== null) {
      const done = this.handshake.onMethod(m);
      if (done) {
        this.frameMax = done.tuned.frameMax;
        this.w.frameMax = this.frameMax;
      }
      return;
    }
    this.onOtherMethod(channel, m);
  }

  /** SessionHandler: a basic.publish with its content. Dropped, unless a consumer here reads its queue. */
  onContent(channel: number, content: Content): void {
    const ch = this.channel(channel);
    this.published++;
    if (ch.confirm) ch.publishSeq++;
    if (this.routes.size === 0 || content.method.name !== 'basic.publish') return;
    const { exchange, routingKey } = content.method.args;
    const c = this.routes.get(routingKey);
    if (c === undefined) return;
    const id = c.channel.id;
    const tag = c.channel.nextTag++;
    if (!c.noAck) c.channel.unacked++;
    encodeMethod(this.w, id, 'basic.deliver', { consumerTag: c.tag, deliveryTag: tag, redelivered: false, exchange, routingKey });
    writeContent(this.w, id, 60, content.body, content.properties);
  }

  private channel(id: number): ChannelState {
    const ch = this.channels.get(id);
    if (ch === undefined) throw new BenchError(`frame on channel ${id}, which is not open`);
    return ch;
  }

  private onOtherMethod(channel: number, m: Method): void {
    const a = m.args as Record<string, unknown>;
    const reply = (name: Parameters<typeof encodeMethod>[2], args: Record<string, unknown> = {}): void => {
      if (a.nowait !== true) encodeMethod(this.w, channel, name, args as never);
    };
    switch (m.name) {
      case 'connection.close':
        // Nothing more after close-ok: stop streaming, or deliveries would follow end().
        this.streams.length = 0;
        reply('connection.close-ok');
        this.flush();
        this.socket.end();
        return;
      case 'channel.open':
        this.channels.set(channel, new ChannelState(channel));
        return reply('channel.open-ok');
      case 'channel.close':
        this.dropChannel(channel);
        return reply('channel.close-ok');
      case 'queue.declare':
        return reply('queue.declare-ok', {
          queue: (a.queue as string) || `amq.gen-${++this.names}`, messageCount: a.passive === true ? this.published : 0, consumerCount: 0,
        });
      case 'queue.purge': return reply('queue.purge-ok', { messageCount: 0 });
      case 'queue.delete': return reply('queue.delete-ok', { messageCount: 0 });
      case 'queue.bind': return reply('queue.bind-ok');
      case 'exchange.declare': return reply('exchange.declare-ok');
      case 'basic.qos':
        this.channel(channel).prefetch = a.prefetchCount as number;
        return reply('basic.qos-ok');
      case 'confirm.select':
        this.channel(channel).confirm = true;
        return reply('confirm.select-ok');
      case 'basic.consume': return this.onConsume(channel, a);
      case 'basic.cancel':
        this.dropConsumers((c) => c.tag === a.consumerTag);
        return reply('basic.cancel-ok', { consumerTag: a.consumerTag });
      case 'basic.nack': return this.channel(channel).settle(a.deliveryTag as number, a.multiple as boolean);
      case 'basic.reject': return this.channel(channel).settle(a.deliveryTag as number, false);
      case 'channel.close-ok': case 'connection.close-ok': return;
      default:
        process.stderr.write(`fake broker: ${m.name} is not supported, ignored\n`);
    }
  }

  private onConsume(channel: number, a: Record<string, unknown>): void {
    const ch = this.channel(channel);
    const queue = a.queue as string;
    const tag = (a.consumerTag as string) || `amq.ctag-${++this.names}`;
    if (a.nowait !== true) encodeMethod(this.w, channel, 'basic.consume-ok', { consumerTag: tag });
    const size = queue.startsWith(STREAM_PREFIX) ? Number(queue.slice(STREAM_PREFIX.length)) : NaN;
    const stream = Number.isInteger(size) ? new DeliveryTemplate(channel, tag, queue, size, this.frameMax) : null;
    const c: Consumer = { tag, channel: ch, noAck: a.noAck === true, stream };
    if (stream) this.streams.push(c);
    else this.routes.set(queue, c);
  }

  private dropChannel(id: number): void {
    this.dropConsumers((c) => c.channel.id === id);
    this.channels.delete(id);
    this.session.forget(id);
  }

  private dropConsumers(match: (c: Consumer) => boolean): void {
    for (let i = this.streams.length - 1; i >= 0; i--) if (match(this.streams[i]!)) this.streams.splice(i, 1);
    for (const [q, c] of this.routes) if (match(c)) this.routes.delete(q);
  }

  /** Send what the writer holds, then stream deliveries while credit and the socket allow. */
  private pump(): void {
    this.flush();
    for (const c of this.streams) {
      const ch = c.channel;
      while (this.socket.writable && this.socket.writableLength < STREAM_HIGH_WATER) {
        const credit = c.noAck || ch.prefetch === 0 ? DELIVERIES_PER_BLOCK : ch.prefetch - ch.unacked;
        if (credit <= 0) break;
        const k = Math.min(credit, DELIVERIES_PER_BLOCK);
        this.socket.write(c.stream!.fill(ch.nextTag, k));
        ch.nextTag += k;
        if (!c.noAck) ch.unacked += k;
      }
    }
  }
}
