/**
 * `Channel`: the public operations of an AMQP channel. Names follow the protocol (`queue.declare`
 * is `queueDeclare`); flags are options objects and default to false, as in the protocol and pika.
 * @packageDocumentation
 */
import type { FieldTable } from '../frames/field-table.js';
import type { Method } from '../methods/types.js';
import type { CallOptions } from './channel-core.js';
import { ConsumerIterator, type ConsumeCallback, type Consumer } from './consumers.js';
import { UsageError } from './errors.js';
import type { Message } from './message.js';
import { PublishingChannel } from './publisher.js';

export type { Body, PublishOptions } from './publisher.js';

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

/**
 * An AMQP channel. Events: `close` (error or undefined), `error`, `return` (ReturnedMessage),
 * `drain`, `cancel` (consumer tag cancelled by the broker), `flow`.
 */
export class Channel extends PublishingChannel {

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
