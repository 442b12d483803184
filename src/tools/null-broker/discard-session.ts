/**
 * One client connection to the null broker (`amqp-wire perf --null-broker`, and the client
 * benchmark's fake broker). It answers the handshake and every synchronous method a client
 * workload uses, and otherwise does as little as it can:
 *
 * - basic.publish is counted and dropped, unless a consumer reads a queue it is routed to: then it
 *   is delivered to one of them (round robin) with the same properties and body. Routing is by
 *   routing key alone (the exchange's name and type are ignored): the default exchange's rule, plus
 *   every queue.bind whose binding key equals the routing key. Consumers may be on any connection
 *   that shares the same {@link Routes};
 * - on a confirm channel every read is answered with one `basic.ack(multiple)` for the last publish;
 * - a consumer on `bench.consume.<size>` gets pre-encoded deliveries of that body size without
 *   end, at most `prefetch` unacked (none counted with noAck), as fast as the socket takes them.
 *
 * Routed deliveries (RPC) ignore prefetch: the RPC workload has one request in flight at a time.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { writeContent } from '../../frames/content.js';
import { Writer } from '../../frames/writer.js';
import { encodeMethod } from '../../methods/codec.js';
import { BASIC_ACK_KEY, encodeBasicAck } from '../../methods/fast-path.js';
import type { Method } from '../../methods/types.js';
import { SERVER_CAPABILITIES } from '../../protocol/capabilities.js';
import type { Content, SessionHandler } from '../../protocol/events.js';
import { ServerHandshake } from '../../protocol/server-handshake.js';
import { Session } from '../../protocol/session.js';
import { DELIVERIES_PER_BLOCK, DeliveryTemplate } from './delivery-template.js';

/** A frame the null broker cannot take (on a channel that is not open). */
export class NullBrokerError extends Error {
  override name = 'NullBrokerError';
}

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
  /** The connection the consumer is on. */
  readonly session: DiscardSession;
}

/**
 * Routing shared by the connections of one null broker: which queues a routing key reaches and
 * which consumers read each queue. One per server makes producers and consumers on different
 * connections meet; a session made without one routes only to its own consumers.
 */
export class Routes {
  /** Queue name -> its consumers (not the streaming `bench.consume.<size>` ones). */
  private readonly consumers = new Map<string, Consumer[]>();
  /** Binding key -> queues bound with it. */
  private readonly bindings = new Map<string, Set<string>>();
  private turn = 0;
  private names = 0;

  /** A name for a server-named queue, unique across the broker's connections. */
  nextName(): string {
    return `amq.gen-${++this.names}`;
  }

  get empty(): boolean { return this.consumers.size === 0; }

  bind(queue: string, key: string): void {
    let queues = this.bindings.get(key);
    if (queues === undefined) this.bindings.set(key, (queues = new Set()));
    queues.add(queue);
  }

  add(queue: string, c: Consumer): void {
    const list = this.consumers.get(queue);
    if (list === undefined) this.consumers.set(queue, [c]);
    else list.push(c);
  }

  remove(match: (c: Consumer) => boolean): void {
    for (const [q, list] of this.consumers) {
      const kept = list.filter((c) => !match(c));
      if (kept.length === 0) this.consumers.delete(q);
      else this.consumers.set(q, kept);
    }
  }

  /** One consumer for each queue `routingKey` reaches. */
  *targets(routingKey: string): Iterable<Consumer> {
    const direct = this.pick(routingKey);
    if (direct !== undefined) yield direct;
    for (const q of this.bindings.get(routingKey) ?? []) {
      if (q === routingKey) continue;
      const c = this.pick(q);
      if (c !== undefined) yield c;
    }
  }

  private pick(queue: string): Consumer | undefined {
    const list = this.consumers.get(queue);
    if (list === undefined) return undefined;
    return list[this.turn++ % list.length];
  }
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
export class DiscardSession implements SessionHandler {
  private readonly w = new Writer(64 * 1024, FRAME_MAX);
  private readonly session: Session;
  private readonly handshake: ServerHandshake;
  private readonly channels = new Map<number, ChannelState>();
  private readonly streams: Consumer[] = [];
  private frameMax = FRAME_MAX;
  private names = 0;
  /** Publishes seen on this connection; a passive queue.declare reports it as the message count. */
  private published = 0;

  private flushQueued = false;

  constructor(private readonly socket: Socket, private readonly routes: Routes = new Routes()) {
    this.handshake = new ServerHandshake(
      {
        serverProperties: { product: 'amqp-wire null broker', version: '1.0', platform: 'Node.js', capabilities: { ...SERVER_CAPABILITIES } },
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
    socket.on('close', () => this.routes.remove((c) => c.session === this));
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

  /** SessionHandler: a basic.publish with its content. Dropped, unless a consumer reads a queue it reaches. */
  onContent(channel: number, content: Content): void {
    const ch = this.channel(channel);
    this.published++;
    if (ch.confirm) ch.publishSeq++;
    if (this.routes.empty || content.method.name !== 'basic.publish') return;
    const { exchange, routingKey } = content.method.args;
    for (const c of this.routes.targets(routingKey)) c.session.deliver(c, exchange, routingKey, content);
  }

  /** Write a delivery to consumer `c` of this connection; sent with this read's output, or on the next turn. */
  private deliver(c: Consumer, exchange: string, routingKey: string, content: Content): void {
    if (!this.socket.writable) return;
    const id = c.channel.id;
    const tag = c.channel.nextTag++;
    if (!c.noAck) c.channel.unacked++;
    encodeMethod(this.w, id, 'basic.deliver', { consumerTag: c.tag, deliveryTag: tag, redelivered: false, exchange, routingKey });
    writeContent(this.w, id, 60, content.body, content.properties);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.pump();
      });
    }
  }

  private channel(id: number): ChannelState {
    const ch = this.channels.get(id);
    if (ch === undefined) throw new NullBrokerError(`frame on channel ${id}, which is not open`);
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
          queue: (a.queue as string) || this.routes.nextName(), messageCount: a.passive === true ? this.published : 0, consumerCount: 0,
        });
      case 'queue.purge': return reply('queue.purge-ok', { messageCount: 0 });
      case 'queue.delete': return reply('queue.delete-ok', { messageCount: 0 });
      case 'queue.bind':
        this.routes.bind(a.queue as string, a.routingKey as string);
        return reply('queue.bind-ok');
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
    const c: Consumer = { tag, channel: ch, noAck: a.noAck === true, stream, session: this };
    if (stream) this.streams.push(c);
    else this.routes.add(queue, c);
  }

  private dropChannel(id: number): void {
    this.dropConsumers((c) => c.channel.id === id);
    this.channels.delete(id);
    this.session.forget(id);
  }

  private dropConsumers(match: (c: Consumer) => boolean): void {
    for (let i = this.streams.length - 1; i >= 0; i--) if (match(this.streams[i]!)) this.streams.splice(i, 1);
    this.routes.remove((c) => c.session === this && match(c));
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
