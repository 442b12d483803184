/**
 * `Channel`: the public operations of an AMQP channel, one per protocol method. Names follow the
 * protocol (`queue.declare` is `queueDeclare`); flags are options objects and default to false,
 * as in the protocol and pika. The work is done by the parts this file wires together:
 * `lifecycle` (open/close), `rpc-queue` (synchronous calls), `publisher` (+ `confirms`),
 * `deliveries` (ack ledger), `consumers`, and `dispatch` (what the broker sends).
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import type { FieldTable } from '../../frames/field-table.js';
import type { BasicProperties } from '../../frames/properties.js';
import { encodeMethod } from '../../methods/codec.js';
import { encodeBasicAck } from '../../methods/fast-path.js';
import type { Method, MethodArgs, MethodName } from '../../methods/types.js';
import type { Content } from '../../protocol/events.js';
import type { ClosedError } from '../errors.js';
import { UsageError } from '../errors.js';
import { safeEmit, warn } from '../events.js';
import type { Message, ReturnedMessage } from '../message.js';
import type { Body } from './body.js';
import { ConsumerIterator, ConsumerRegistry, callbackConsumer, type ConsumeCallback, type Consumer } from './consumers.js';
import { DeliveryLedger, type Settlement } from './deliveries.js';
import { ChannelDispatch } from './dispatch.js';
import type { CallOptions, ChannelHost } from './host.js';
import { ChannelLifecycle } from './lifecycle.js';
import { Publisher, type PublishOptions } from './publisher.js';
import { RpcQueue } from './rpc-queue.js';

export type { Body } from './body.js';
export type { PublishOptions } from './publisher.js';
export type { CallOptions, ChannelHost } from './host.js';

/**
 * An exchange type for exchange.declare: the four built in to AMQP 0-9-1, or any other a broker
 * plugin adds (`x-delayed-message`, `x-consistent-hash`, ...).
 */
// `string & {}` keeps the literal members for completion while any string is still accepted.
export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers' | (string & {});

/** Options of exchange.declare. */
export interface ExchangeDeclareOptions extends CallOptions {
  passive?: boolean; durable?: boolean; autoDelete?: boolean; internal?: boolean; arguments?: FieldTable;
}
/** Options of queue.declare. */
export interface QueueDeclareOptions extends CallOptions {
  passive?: boolean; durable?: boolean; exclusive?: boolean; autoDelete?: boolean; arguments?: FieldTable;
}
/** Options of queue.bind, queue.unbind, exchange.bind and exchange.unbind. */
export interface BindOptions extends CallOptions {
  /** Binding arguments (headers exchanges match on them). */
  arguments?: FieldTable;
}
/** queue.declare-ok. */
export interface QueueDeclareResult { queue: string; messageCount: number; consumerCount: number }
/** Options of basic.consume and `consume()`. */
export interface ConsumeOptions extends CallOptions {
  consumerTag?: string; noLocal?: boolean; noAck?: boolean; exclusive?: boolean; arguments?: FieldTable;
}
/**
 * A callback consumer started by `basicConsume`. `cancel()` (or leaving an `await using` scope)
 * sends basic.cancel once; on a channel that is no longer open it does nothing.
 */
export interface ConsumerHandle extends AsyncDisposable {
  /** The consumer tag the broker confirmed. */
  readonly consumerTag: string;
  /** basic.cancel this consumer; calling it again returns the same promise. */
  cancel(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
/** Options of the `consume()` iterator. */
export interface ConsumeIteratorOptions extends ConsumeOptions {
  /** basic.qos prefetch count set (per consumer) before consuming. */
  prefetch?: number;
}

/**
 * The events of a {@link Channel}, as the argument lists their listeners get:
 * `ch.on('return', (returned) => ...)`. A misspelt name or a wrong listener is a compile error.
 */
export interface ChannelEvents {
  /** The channel ended: undefined after a clean `close()`, else why (ChannelClosedError or ConnectionClosedError). */
  close: [err: ClosedError | undefined];
  /** The broker closed the channel, a call was abandoned, or a consumer or listener threw. */
  error: [err: Error];
  /** basic.return: a mandatory message no queue took. */
  return: [returned: ReturnedMessage];
  /** Buffered output fell below the high-water mark after `basicPublish` returned false. */
  drain: [];
  /** basic.cancel from the broker: the consumer with this tag is gone (its queue was deleted, say). */
  cancel: [consumerTag: string];
  /** channel.flow from the broker: whether it wants us to publish. */
  flow: [active: boolean];
}

/**
 * An AMQP channel. Events ({@link ChannelEvents}): `close` (error or undefined), `error`,
 * `return` (ReturnedMessage), `drain`, `cancel` (consumer tag cancelled by the broker), `flow`.
 */
export class Channel extends EventEmitter<ChannelEvents> {
  /** Channel number on the connection. */
  readonly id: number;
  readonly #host: ChannelHost;
  readonly #lifecycle: ChannelLifecycle;
  readonly #rpc: RpcQueue;
  readonly #deliveries: DeliveryLedger;
  readonly #consumers = new ConsumerRegistry();
  readonly #publisher: Publisher;
  readonly #dispatch: ChannelDispatch;

  /** @internal Use `connection.channel()`. */
  constructor(host: ChannelHost, id: number) {
    super();
    this.id = id;
    this.#host = host;
    const emit = (event: string, ...args: unknown[]): void => this.#emit(event, ...args);
    this.#lifecycle = new ChannelLifecycle({
      id, closeTimeout: host.closeTimeout,
      sendClose: (args) => {
        host.discardInbound(id);
        this.#send('channel.close', args);
      },
      sendCloseOk: () => this.#send('channel.close-ok', {}),
      teardown: (err) => this.#teardown(err),
      release: () => host.releaseChannel(id),
      closed: (err, byServer) => {
        if (err && byServer) emit('error', err);
        emit('close', err);
        this.removeAllListeners('drain');
      },
    });
    const lifecycle = this.#lifecycle;
    this.#rpc = new RpcQueue({
      id, host,
      closed: () => lifecycle.reason,
      abandoned: (operation, why) => {
        const err = lifecycle.abandon(operation, why);
        if (err) emit('error', err);
      },
    });
    this.#deliveries = new DeliveryLedger(id);
    this.#publisher = new Publisher({ id, host, lifecycle, rpc: this.#rpc, events: this });
    this.#dispatch = new ChannelDispatch({
      id, lifecycle, rpc: this.#rpc, deliveries: this.#deliveries, consumers: this.#consumers, publisher: this.#publisher,
      acker: this, send: (name, args) => this.#send(name, args), emit, report: (e) => this.#report(e),
    });
  }

  /** Why the channel closed (null while it is open). */
  get closeReason(): ClosedError | null { return this.#lifecycle.reason; }

  /** True until the channel starts closing. */
  get isOpen(): boolean { return this.#lifecycle.current === 'open'; }

  // ---- inbound (called by the connection) ----------------------------------------------------

  /** @internal A method without content for this channel; throws FrameError on a protocol fault. */
  onMethod(method: Method, key: number): void { this.#dispatch.onMethod(method, key); }

  /** @internal A content-bearing method with its assembled content. */
  onContent(content: Content): void { this.#dispatch.onContent(content); }

  /** @internal The socket drained below the high-water mark. */
  onDrain(): void { if (this.#publisher.takeDrain()) this.#emit('drain'); }

  /** @internal The connection is gone: settle everything with `err`, no close handshake. */
  onConnectionClosed(err: Error): void { this.#lifecycle.onConnectionClosed(err); }

  // ---- channel ---------------------------------------------------------------------------

  /** @internal Open the channel (channel.open). */
  async open(o: CallOptions = {}): Promise<this> {
    await this.#rpc.call('channel.open', {}, o, { onReply: () => this.#lifecycle.opened() });
    return this;
  }

  /**
   * Close the channel: channel.close, then wait for close-ok (at most closeTimeout). Pending
   * operations reject with ChannelClosedError. Calling it again returns the same promise.
   */
  close(): Promise<void> { return this.#lifecycle.close(); }

  /** `await using ch = await conn.channel()`: a graceful {@link close} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> { return this.close(); }

  /**
   * channel.flow. Only `true` is sent: RabbitMQ answers `active: false` with 540 NOT_IMPLEMENTED,
   * a connection error, so it is refused here (use basicQos or cancel consumers instead).
   */
  async channelFlow(active: boolean, o: CallOptions = {}): Promise<{ active: boolean }> {
    if (!active) throw new UsageError('channel.flow(active=false) is not implemented by RabbitMQ (540 closes the connection)');
    return { active: (await this.#rpc.call('channel.flow', { active }, o)).args.active };
  }

  // ---- exchange --------------------------------------------------------------------------

  /** exchange.declare. */
  async exchangeDeclare(exchange: string, type: ExchangeType, o: ExchangeDeclareOptions = {}): Promise<void> {
    await this.#rpc.call('exchange.declare', {
      exchange, type, passive: o.passive ?? false, durable: o.durable ?? false, autoDelete: o.autoDelete ?? false,
      internal: o.internal ?? false, arguments: o.arguments ?? {},
    }, o);
  }

  /** exchange.delete. */
  async exchangeDelete(exchange: string, o: { ifUnused?: boolean } & CallOptions = {}): Promise<void> {
    await this.#rpc.call('exchange.delete', { exchange, ifUnused: o.ifUnused ?? false }, o);
  }

  /** exchange.bind: route from `source` to `destination` (RabbitMQ extension). */
  async exchangeBind(destination: string, source: string, routingKey = '', o: BindOptions = {}): Promise<void> {
    await this.#rpc.call('exchange.bind', { destination, source, routingKey, arguments: o.arguments ?? {} }, o);
  }

  /** exchange.unbind. */
  async exchangeUnbind(destination: string, source: string, routingKey = '', o: BindOptions = {}): Promise<void> {
    await this.#rpc.call('exchange.unbind', { destination, source, routingKey, arguments: o.arguments ?? {} }, o);
  }

  // ---- queue -----------------------------------------------------------------------------

  /** queue.declare; an empty name asks the server to name the queue. */
  async queueDeclare(queue = '', o: QueueDeclareOptions = {}): Promise<QueueDeclareResult> {
    return { ...(await this.#rpc.call('queue.declare', {
      queue, passive: o.passive ?? false, durable: o.durable ?? false, exclusive: o.exclusive ?? false,
      autoDelete: o.autoDelete ?? false, arguments: o.arguments ?? {},
    }, o)).args };
  }

  /** queue.bind. */
  async queueBind(queue: string, exchange: string, routingKey = '', o: BindOptions = {}): Promise<void> {
    await this.#rpc.call('queue.bind', { queue, exchange, routingKey, arguments: o.arguments ?? {} }, o);
  }

  /** queue.unbind. */
  async queueUnbind(queue: string, exchange: string, routingKey = '', o: BindOptions = {}): Promise<void> {
    await this.#rpc.call('queue.unbind', { queue, exchange, routingKey, arguments: o.arguments ?? {} }, o);
  }

  /** queue.purge; resolves the number of messages purged. */
  async queuePurge(queue: string, o: CallOptions = {}): Promise<{ messageCount: number }> {
    return { messageCount: (await this.#rpc.call('queue.purge', { queue }, o)).args.messageCount };
  }

  /** queue.delete; resolves the number of messages deleted with it. */
  async queueDelete(queue: string, o: { ifUnused?: boolean; ifEmpty?: boolean } & CallOptions = {}): Promise<{ messageCount: number }> {
    const m = await this.#rpc.call('queue.delete', { queue, ifUnused: o.ifUnused ?? false, ifEmpty: o.ifEmpty ?? false }, o);
    return { messageCount: m.args.messageCount };
  }

  // ---- basic: publish --------------------------------------------------------------------

  /**
   * basic.publish, fire and forget: method, header and body frames go into the connection's
   * output in one piece. Returns false once buffered output is over the high-water mark; wait
   * for `drain` (or `await ch.drained()`) before publishing more. A bad argument, a body that is
   * not a string or bytes included, throws EncodeError and nothing is sent.
   */
  basicPublish(exchange: string, routingKey: string, body: Body, properties?: BasicProperties, o: PublishOptions = {}): boolean {
    return this.#publisher.publish(exchange, routingKey, body, properties, o);
  }

  /** Resolves when buffered output is below the high-water mark. */
  drained(): Promise<void> { return this.#publisher.drained(); }

  /** confirm.select: from now on the broker acks or nacks every publish on this channel. */
  confirmSelect(o: CallOptions = {}): Promise<void> { return this.#publisher.confirmSelect(o); }

  /**
   * Publish and resolve on the broker's ack. Rejects with NackError on nack, UnroutableError
   * when a mandatory message was returned, ChannelClosedError/ConnectionClosedError when the
   * channel or connection ends first, EncodeError (nothing sent) for a bad argument. Selects
   * confirm mode if needed. At most `maxConfirmsInFlight` (connection option) wait at once;
   * further calls wait for a place. Messages go out in call order, whether or not they waited.
   * Waiting calls cost O(1) each, but each holds its body and promise until its turn: for a large
   * batch, keep a bounded number outstanding (start the next when one settles) rather than
   * `Promise.all` over all of them, and memory stays proportional to that bound (see the README).
   */
  publishConfirmed(exchange: string, routingKey: string, body: Body, properties?: BasicProperties, o: PublishOptions = {}): Promise<void> {
    return this.#publisher.publishConfirmed(exchange, routingKey, body, properties, o);
  }

  /**
   * Resolve once every publish so far (including confirmed publishes still queued for a place)
   * is confirmed; reject with NackError if any was nacked.
   */
  waitForConfirms(): Promise<void> { return this.#publisher.waitForConfirms(); }

  // ---- basic: consume --------------------------------------------------------------------

  /**
   * basic.qos. RabbitMQ reads `global: false` (the default) as a limit per consumer and `true`
   * as one shared by the channel. prefetch_size is not offered: RabbitMQ answers it with 540.
   */
  async basicQos(prefetchCount: number, o: { global?: boolean } & CallOptions = {}): Promise<void> {
    await this.#rpc.call('basic.qos', { prefetchSize: 0, prefetchCount, global: o.global ?? false }, o);
  }

  /**
   * basic.consume with a callback; resolves once the broker confirmed it with a handle carrying
   * the consumer tag. `await using c = await ch.basicConsume(...)` cancels the consumer when the
   * scope ends (as `c.cancel()` does).
   */
  async basicConsume(queue: string, onMessage: ConsumeCallback, o: ConsumeOptions = {}): Promise<ConsumerHandle> {
    const { consumerTag } = await this.#startConsumer(queue, o, (tag) => callbackConsumer(tag, o.noAck ?? false, onMessage, (e) => this.#report(e)));
    let cancelling: Promise<void> | null = null;
    const cancel = (): Promise<void> => {
      // A channel that is closing or closed has ended its consumers already.
      cancelling ??= this.isOpen ? this.basicCancel(consumerTag) : Promise.resolve();
      return cancelling;
    };
    return { consumerTag, cancel, [Symbol.asyncDispose]: cancel };
  }

  async #startConsumer(queue: string, o: ConsumeOptions, make: (tag: string) => Consumer): Promise<{ consumerTag: string }> {
    const m = await this.#rpc.call('basic.consume', {
      queue, consumerTag: o.consumerTag ?? '', noLocal: o.noLocal ?? false, noAck: o.noAck ?? false,
      exclusive: o.exclusive ?? false, arguments: o.arguments ?? {},
      // The first delivery can follow consume-ok in the same read: register on the reply itself.
    }, o, { onReply: (reply) => this.#consumers.add(make(reply.args.consumerTag)) });
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
      const { consumerTag } = await this.#startConsumer(queue, o, (tag) => ({
        tag, noAck: o.noAck ?? false, deliver: (msg) => iterator.push(msg), end: (err) => iterator.end(err),
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
    await this.#rpc.call('basic.cancel', { consumerTag }, o);
    this.#consumers.remove(consumerTag, null);
  }

  /** basic.get: one message, or null when the queue is empty. */
  async basicGet(queue: string, o: { noAck?: boolean } & CallOptions = {}): Promise<Message | null> {
    const noAck = o.noAck ?? false;
    const r = await this.#rpc.call('basic.get', { queue, noAck }, o, { noAck });
    return 'name' in r ? null : r;
  }

  // ---- basic: acknowledge ----------------------------------------------------------------

  /** basic.ack; with `multiple`, every outstanding delivery up to the tag (0: all of them). */
  basicAck(deliveryTag: number, o: { multiple?: boolean } = {}): void {
    const multiple = o.multiple ?? false;
    this.#settle(deliveryTag, multiple, 'ack');
    encodeBasicAck(this.#host.writer, this.id, deliveryTag, multiple);
    this.#host.scheduleFlush();
  }

  /** basic.nack (RabbitMQ extension); `requeue` defaults to true as in pika. */
  basicNack(deliveryTag: number, o: { multiple?: boolean; requeue?: boolean } = {}): void {
    const multiple = o.multiple ?? false;
    this.#settle(deliveryTag, multiple, 'nack');
    this.#send('basic.nack', { deliveryTag, multiple, requeue: o.requeue ?? true });
  }

  /** basic.reject; `requeue` defaults to true as in pika. */
  basicReject(deliveryTag: number, o: { requeue?: boolean } = {}): void {
    this.#settle(deliveryTag, false, 'reject');
    this.#send('basic.reject', { deliveryTag, requeue: o.requeue ?? true });
  }

  /** A settlement the broker would refuse with 406 throws UsageError instead (see DeliveryLedger). */
  #settle(deliveryTag: number, multiple: boolean, how: Settlement): void {
    this.#lifecycle.assertOpen();
    this.#deliveries.settle(deliveryTag, multiple, how);
  }

  /** basic.recover: redeliver every unacked message of this channel. */
  async basicRecover(o: { requeue?: boolean } & CallOptions = {}): Promise<void> {
    await this.#rpc.call('basic.recover', { requeue: o.requeue ?? true }, o, { onReply: () => this.#deliveries.forgetAll() });
  }

  // ---- tx --------------------------------------------------------------------------------

  /** tx.select: publishes and acknowledgements take effect on commit. */
  async txSelect(o: CallOptions = {}): Promise<void> {
    await this.#rpc.call('tx.select', {}, o, { onSent: () => this.#deliveries.txSelected() });
  }

  /** tx.commit. */
  async txCommit(o: CallOptions = {}): Promise<void> {
    await this.#rpc.call('tx.commit', {}, o, { onReply: () => this.#deliveries.txCommitted() });
  }

  /** tx.rollback: discards publishes, and acks/nacks/rejects become outstanding again. */
  async txRollback(o: CallOptions = {}): Promise<void> {
    await this.#rpc.call('tx.rollback', {}, o, { onReply: () => this.#deliveries.txRolledBack() });
  }

  // ---- plumbing --------------------------------------------------------------------------

  /** Write an asynchronous method now. */
  #send<N extends MethodName>(name: N, args: MethodArgs<N>): void {
    encodeMethod(this.#host.writer, this.id, name, args);
    this.#host.scheduleFlush();
  }

  /** Reject everything pending and end every consumer with `err`. */
  #teardown(err: ClosedError): void {
    this.#rpc.failAll(err);
    this.#publisher.failAll(err);
    this.#consumers.endAll(err);
    this.#deliveries.forgetAll();
  }

  /**
   * Emit without letting a listener's throw escape. 'error' with no listener is dropped, not
   * thrown: the same error already rejects the pending promises and rides on 'close'.
   */
  #emit(event: string, ...args: unknown[]): void {
    safeEmit(this, event, args, (e) => this.#report(e));
  }

  /** Report an error that belongs to nobody's promise (a throwing consumer or listener). */
  #report(err: unknown): void {
    if (this.listenerCount('error') > 0) safeEmit(this, 'error', [err], warn);
    else warn(err);
  }
}
