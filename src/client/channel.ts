/**
 * `Channel`: the public operations of an AMQP channel. Names follow the protocol (`queue.declare`
 * is `queueDeclare`); flags are options objects and default to false, as in the protocol and pika.
 * @packageDocumentation
 */
import type { FieldTable } from '../frames/field-table.js';
import type { BasicProperties } from '../frames/properties.js';
import { writeContent } from '../frames/content.js';
import { encodeBasicPublish } from '../methods/fast-path.js';
import type { Method } from '../methods/types.js';
import { ChannelCore, type CallOptions } from './channel-core.js';
import { ConfirmTracker } from './confirms.js';
import { ConsumerIterator, type ConsumeCallback, type Consumer } from './consumers.js';
import { UsageError } from './errors.js';
import type { Message } from './message.js';

/** A message body: bytes, or a string sent as UTF-8. */
export type Body = Uint8Array | string;

/** Options of exchange.declare. */
export interface ExchangeDeclareOptions extends CallOptions {
  passive?: boolean; durable?: boolean; autoDelete?: boolean; internal?: boolean; arguments?: FieldTable;
}
/** Options of queue.declare. */
export interface QueueDeclareOptions extends CallOptions {
  passive?: boolean; durable?: boolean; exclusive?: boolean; autoDelete?: boolean; arguments?: FieldTable;
}
/** queue.declare-ok. */
export interface QueueDeclareResult { queue: string; messageCount: number; consumerCount: number }
/** Options of basic.consume and `consume()`. */
export interface ConsumeOptions extends CallOptions {
  consumerTag?: string; noLocal?: boolean; noAck?: boolean; exclusive?: boolean; arguments?: FieldTable;
}
/** Options of the `consume()` iterator. */
export interface ConsumeIteratorOptions extends ConsumeOptions {
  /** basic.qos prefetch count set (per consumer) before consuming. */
  prefetch?: number;
}
/** Options of basic.publish. `immediate` is not offered: RabbitMQ rejects it with 540. */
export interface PublishOptions {
  mandatory?: boolean;
}

/** A confirmed publish waiting its turn. */
interface QueuedPublish {
  exchange: string;
  routingKey: string;
  body: Uint8Array;
  properties: BasicProperties | undefined;
  mandatory: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

const noop = (): void => undefined;

const toBuffer = (body: Body): Uint8Array => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/**
 * An AMQP channel. Events: `close` (error or undefined), `error`, `return` (ReturnedMessage),
 * `drain`, `cancel` (consumer tag cancelled by the broker), `flow`.
 */
export class Channel extends ChannelCore {
  private selecting: Promise<void> | null = null;
  /** Confirmed publishes waiting for confirm mode or an in-flight place, in call order. */
  private readonly publishQueue: QueuedPublish[] = [];
  private pumping = false;
  private readonly queueDrained: Array<() => void> = [];

  /** @internal Open the channel (channel.open). */
  async open(options: CallOptions = {}): Promise<this> {
    await this.call('channel.open', {}, options, { onReply: () => { this.state = 'open'; } });
    return this;
  }

  // ---- exchange --------------------------------------------------------------------------

  /** exchange.declare. */
  async exchangeDeclare(exchange: string, type: string, o: ExchangeDeclareOptions = {}): Promise<void> {
    await this.call('exchange.declare', {
      exchange, type, passive: o.passive ?? false, durable: o.durable ?? false, autoDelete: o.autoDelete ?? false,
      internal: o.internal ?? false, arguments: o.arguments ?? {},
    }, o);
  }

  /** exchange.delete. */
  async exchangeDelete(exchange: string, o: { ifUnused?: boolean } & CallOptions = {}): Promise<void> {
    await this.call('exchange.delete', { exchange, ifUnused: o.ifUnused ?? false }, o);
  }

  /** exchange.bind: route from `source` to `destination` (RabbitMQ extension). */
  async exchangeBind(destination: string, source: string, routingKey = '', args: FieldTable = {}, o: CallOptions = {}): Promise<void> {
    await this.call('exchange.bind', { destination, source, routingKey, arguments: args }, o);
  }

  /** exchange.unbind. */
  async exchangeUnbind(destination: string, source: string, routingKey = '', args: FieldTable = {}, o: CallOptions = {}): Promise<void> {
    await this.call('exchange.unbind', { destination, source, routingKey, arguments: args }, o);
  }

  // ---- queue -----------------------------------------------------------------------------

  /** queue.declare; an empty name asks the server to name the queue. */
  async queueDeclare(queue = '', o: QueueDeclareOptions = {}): Promise<QueueDeclareResult> {
    const m = (await this.call('queue.declare', {
      queue, passive: o.passive ?? false, durable: o.durable ?? false, exclusive: o.exclusive ?? false,
      autoDelete: o.autoDelete ?? false, arguments: o.arguments ?? {},
    }, o)) as Method<'queue.declare-ok'>;
    return { ...m.args };
  }

  /** queue.bind. */
  async queueBind(queue: string, exchange: string, routingKey = '', args: FieldTable = {}, o: CallOptions = {}): Promise<void> {
    await this.call('queue.bind', { queue, exchange, routingKey, arguments: args }, o);
  }

  /** queue.unbind. */
  async queueUnbind(queue: string, exchange: string, routingKey = '', args: FieldTable = {}, o: CallOptions = {}): Promise<void> {
    await this.call('queue.unbind', { queue, exchange, routingKey, arguments: args }, o);
  }

  /** queue.purge; resolves the number of messages purged. */
  async queuePurge(queue: string, o: CallOptions = {}): Promise<{ messageCount: number }> {
    const m = (await this.call('queue.purge', { queue }, o)) as Method<'queue.purge-ok'>;
    return { messageCount: m.args.messageCount };
  }

  /** queue.delete; resolves the number of messages deleted with it. */
  async queueDelete(queue: string, o: { ifUnused?: boolean; ifEmpty?: boolean } & CallOptions = {}): Promise<{ messageCount: number }> {
    const m = (await this.call('queue.delete', { queue, ifUnused: o.ifUnused ?? false, ifEmpty: o.ifEmpty ?? false }, o)) as Method<'queue.delete-ok'>;
    return { messageCount: m.args.messageCount };
  }

  // ---- basic -----------------------------------------------------------------------------

  /**
   * basic.qos. RabbitMQ reads `global: false` (the default) as a limit per consumer and `true`
   * as one shared by the channel. prefetch_size is not offered: RabbitMQ answers it with 540.
   */
  async basicQos(prefetchCount: number, o: { global?: boolean } & CallOptions = {}): Promise<void> {
    await this.call('basic.qos', { prefetchSize: 0, prefetchCount, global: o.global ?? false }, o);
  }

  /** basic.consume with a callback; resolves the consumer tag once the broker confirmed it. */
  async basicConsume(queue: string, onMessage: ConsumeCallback, o: ConsumeOptions = {}): Promise<{ consumerTag: string }> {
    const noAck = o.noAck ?? false;
    const consumer = (tag: string): Consumer => ({
      tag,
      noAck,
      deliver: (msg) => {
        try {
          const r = onMessage(msg);
          if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(undefined, (e) => this.report(e));
        } catch (e) {
          this.report(e);
        }
      },
      end: () => undefined,
    });
    return this.startConsumer(queue, o, consumer);
  }

  private async startConsumer(queue: string, o: ConsumeOptions, make: (tag: string) => Consumer): Promise<{ consumerTag: string }> {
    // The first delivery can follow consume-ok in the same read: register synchronously on the reply.
    const register = (reply: unknown) => {
      const tag = (reply as Method<'basic.consume-ok'>).args.consumerTag;
      this.consumers.set(tag, make(tag));
    };
    const m = (await this.call('basic.consume', {
      queue, consumerTag: o.consumerTag ?? '', noLocal: o.noLocal ?? false, noAck: o.noAck ?? false,
      exclusive: o.exclusive ?? false, arguments: o.arguments ?? {},
    }, o, { onReply: register })) as Method<'basic.consume-ok'>;
    return { consumerTag: m.args.consumerTag };
  }

  /**
   * Consume as an async iterator: `for await (const msg of ch.consume(q, { prefetch: 10 }))`.
   * With manual acks (the default) the prefetch bounds the messages buffered here. Leaving the
   * loop cancels the consumer and requeues deliveries it never handed out.
   */
  consume(queue: string, o: ConsumeIteratorOptions = {}): ConsumerIterator {
    let iterator!: ConsumerIterator;
    const ready = (async () => {
      if (o.prefetch !== undefined) await this.basicQos(o.prefetch);
      const { consumerTag } = await this.startConsumer(queue, o, (tag) => ({
        tag,
        noAck: o.noAck ?? false,
        deliver: (msg) => iterator.push(msg),
        end: (err) => iterator.end(err),
      }));
      iterator.tag = consumerTag;
    })();
    iterator = new ConsumerIterator(ready, async (take) => {
      if (this.isOpen) await this.basicCancel(iterator.tag).catch(() => undefined);
      if (this.isOpen && !o.noAck) for (const msg of take()) msg.nack({ requeue: true });
    }, o.signal);
    return iterator;
  }

  /**
   * basic.cancel. Deliveries that arrive before cancel-ok still reach the consumer; it is removed
   * once cancel-ok is in.
   */
  async basicCancel(consumerTag: string, o: CallOptions = {}): Promise<void> {
    await this.call('basic.cancel', { consumerTag }, o);
    const c = this.consumers.get(consumerTag);
    this.consumers.delete(consumerTag);
    c?.end(null);
  }

  /** basic.get: one message, or null when the queue is empty. */
  async basicGet(queue: string, o: { noAck?: boolean } & CallOptions = {}): Promise<Message | null> {
    const noAck = o.noAck ?? false;
    const r = await this.call('basic.get', { queue, noAck }, o, { context: { noAck } });
    return (r as { name?: string }).name === 'basic.get-empty' ? null : (r as Message);
  }

  /** basic.ack. */
  basicAck(deliveryTag: number, o: { multiple?: boolean } = {}): void {
    this.ack(deliveryTag, o.multiple ?? false);
  }

  /** basic.nack (RabbitMQ extension); `requeue` defaults to true as in pika. */
  basicNack(deliveryTag: number, o: { multiple?: boolean; requeue?: boolean } = {}): void {
    this.nack(deliveryTag, o.multiple ?? false, o.requeue ?? true);
  }

  /** basic.reject; `requeue` defaults to true as in pika. */
  basicReject(deliveryTag: number, o: { requeue?: boolean } = {}): void {
    this.reject(deliveryTag, o.requeue ?? true);
  }

  /** basic.recover: redeliver every unacked message of this channel. */
  async basicRecover(o: { requeue?: boolean } & CallOptions = {}): Promise<void> {
    // recover-ok precedes the redeliveries, which carry new tags: every earlier tag is void.
    await this.call('basic.recover', { requeue: o.requeue ?? true }, o, { onReply: () => this.unacked.clear() });
  }

  /**
   * basic.publish, fire and forget: method, header and body frames go into the connection's
   * output in one piece. Returns false once buffered output is over the high-water mark; wait
   * for `drain` (or `await ch.drained()`) before publishing more. A bad argument throws
   * (EncodeError) and nothing is sent.
   */
  basicPublish(exchange: string, routingKey: string, body: Body, properties?: BasicProperties, o: PublishOptions = {}): boolean {
    this.assertOpen();
    const bytes = toBuffer(body);
    const mandatory = o.mandatory ?? false;
    this.writeMessage(exchange, routingKey, bytes, properties, mandatory);
    if (this.confirms !== null) {
      // Nobody awaits a plain publish, but a mandatory one must still be there for its
      // basic.return to match, or the return would be charged to a later confirmed publish.
      this.confirms.register(mandatory ? {
        resolve: noop, reject: noop, mandatory, exchange, routingKey, bodyLength: bytes.length, returned: null,
      } : null, false);
    }
    return this.afterWrite();
  }

  private writeMessage(exchange: string, routingKey: string, body: Uint8Array, properties: BasicProperties | undefined, mandatory: boolean): void {
    const w = this.host.writer;
    const start = w.pos;
    try {
      encodeBasicPublish(w, this.id, exchange, routingKey, mandatory);
      writeContent(w, this.id, 60, body, properties);
    } catch (e) {
      w.rewind(start);
      throw e;
    }
  }

  private afterWrite(): boolean {
    this.host.scheduleFlush();
    if (!this.host.writeBlocked) return true;
    this.needsDrain = true;
    return false;
  }

  /** Resolves when buffered output is below the high-water mark. */
  drained(): Promise<void> {
    if (!this.host.writeBlocked) return Promise.resolve();
    this.needsDrain = true;
    return new Promise((resolve, reject) => {
      const onDrain = () => { this.off('close', onClose); resolve(); };
      const onClose = (err?: Error) => { this.off('drain', onDrain); reject(err ?? this.closeReason ?? new UsageError('channel closed')); };
      this.once('drain', onDrain);
      this.once('close', onClose);
    });
  }

  // ---- confirms --------------------------------------------------------------------------

  /** confirm.select: from now on the broker acks or nacks every publish on this channel. */
  confirmSelect(o: CallOptions = {}): Promise<void> {
    // Publishes are counted from the first one written after confirm.select itself.
    this.selecting ??= this.call('confirm.select', {}, o, {
      onSent: () => { this.confirms = new ConfirmTracker(this.host.maxConfirmsInFlight); },
    }).then(() => undefined);
    return this.selecting;
  }

  /**
   * Publish and resolve on the broker's ack. Rejects with NackError on nack, UnroutableError
   * when a mandatory message was returned, ChannelClosedError/ConnectionClosedError when the
   * channel or connection ends first. Selects confirm mode if needed. At most
   * `maxConfirmsInFlight` (connection option) wait at once; further calls wait for a place.
   * Messages go out in call order, whether or not they had to wait.
   */
  publishConfirmed(exchange: string, routingKey: string, body: Body, properties?: BasicProperties, o: PublishOptions = {}): Promise<void> {
    if (this.confirms === null && this.selecting === null) void this.confirmSelect().catch(() => undefined);
    const item: QueuedPublish = { exchange, routingKey, body: toBuffer(body), properties, mandatory: o.mandatory ?? false, resolve: noop, reject: noop };
    const promise = new Promise<void>((resolve, reject) => {
      item.resolve = resolve;
      item.reject = reject;
    });
    // Fast path: confirm mode is on, nobody is queued ahead, and a place is free.
    if (this.confirms !== null && this.publishQueue.length === 0 && this.confirms.tryAcquire()) {
      this.writeConfirmed(this.confirms, item);
    } else {
      this.publishQueue.push(item);
      void this.pumpPublishes();
    }
    return promise;
  }

  /** Write queued confirmed publishes in order as confirm mode and in-flight places allow. */
  private async pumpPublishes(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.publishQueue.length > 0) {
        try {
          if (this.confirms === null) await this.confirmSelect();
          const confirms = this.confirms as ConfirmTracker | null;
          if (confirms === null) throw new UsageError('confirm.select did not take effect');
          const wait = confirms.acquire();
          if (wait) await wait;
          this.writeConfirmed(confirms, this.publishQueue.shift()!);
        } catch (e) {
          // Confirm mode failed or the channel closed: nothing queued can be sent.
          for (const item of this.publishQueue.splice(0)) item.reject(e as Error);
        }
      }
    } finally {
      this.pumping = false;
      for (const w of this.queueDrained.splice(0)) w();
    }
  }

  /** Write one confirmed publish holding a place reserved from `confirms`. */
  private writeConfirmed(confirms: ConfirmTracker, item: QueuedPublish): void {
    try {
      this.assertOpen();
      this.writeMessage(item.exchange, item.routingKey, item.body, item.properties, item.mandatory);
    } catch (e) {
      confirms.release();
      item.reject(e as Error);
      return;
    }
    confirms.register({
      resolve: item.resolve, reject: item.reject, mandatory: item.mandatory,
      exchange: item.exchange, routingKey: item.routingKey, bodyLength: item.body.length, returned: null,
    }, true);
    this.afterWrite();
  }

  /**
   * Resolve once every publish so far (including confirmed publishes still queued for a place)
   * is confirmed; reject with NackError if any was nacked.
   */
  async waitForConfirms(): Promise<void> {
    if (this.publishQueue.length > 0) await new Promise<void>((resolve) => this.queueDrained.push(resolve));
    if (this.confirms === null && this.selecting !== null) await this.selecting;
    if (this.confirms === null) throw new UsageError('waitForConfirms needs confirmSelect() first');
    return this.confirms.waitForConfirms();
  }

  // ---- tx and flow -----------------------------------------------------------------------

  /** tx.select: publishes and acknowledgements take effect on commit. */
  async txSelect(o: CallOptions = {}): Promise<void> {
    await this.call('tx.select', {}, o, { onSent: () => { this.txSettled ??= []; } });
  }

  /** tx.commit. */
  async txCommit(o: CallOptions = {}): Promise<void> {
    await this.call('tx.commit', {}, o, { onReply: () => { if (this.txSettled) this.txSettled.length = 0; } });
  }

  /** tx.rollback: discards publishes, and acks/nacks/rejects become outstanding again. */
  async txRollback(o: CallOptions = {}): Promise<void> {
    await this.call('tx.rollback', {}, o, {
      onReply: () => {
        for (const t of this.txSettled ?? []) this.unacked.add(t);
        if (this.txSettled) this.txSettled.length = 0;
      },
    });
  }

  /**
   * channel.flow. Only `true` is sent: RabbitMQ answers `active: false` with 540 NOT_IMPLEMENTED,
   * a connection error, so it is refused here (use basicQos or cancel consumers instead).
   */
  async channelFlow(active: boolean, o: CallOptions = {}): Promise<{ active: boolean }> {
    if (!active) throw new UsageError('channel.flow(active=false) is not implemented by RabbitMQ (540 closes the connection)');
    const m = (await this.call('channel.flow', { active }, o)) as Method<'channel.flow-ok'>;
    return { active: m.args.active };
  }
}
