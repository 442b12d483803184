/**
 * Inbound handling of one channel, a handler per protocol method: what the broker sends lands in
 * `onMethod` (methods without content) or `onContent` (a method with its assembled content), and
 * goes to the part that owns it.
 * @packageDocumentation
 */
import { ReplyCode } from '../../frames/constants.js';
import { FrameError } from '../../frames/errors.js';
import type { BasicProperties } from '../../frames/properties.js';
import { methodDef } from '../../methods/codec.js';
import type { BasicDeliverArgs } from '../../methods/fast-path.js';
import type { DecodedArgs, Method, MethodArgs, MethodName } from '../../methods/types.js';
import type { Content } from '../../protocol/events.js';
import { ConsumerCancelledError, UsageError } from '../errors.js';
import { Message, type Acker, type ReturnedMessage } from '../message.js';
import type { ConsumerRegistry } from './consumers.js';
import type { DeliveryLedger } from './deliveries.js';
import type { ChannelLifecycle } from './lifecycle.js';
import type { Publisher } from './publisher.js';
import type { RpcQueue } from './rpc-queue.js';

const GET_OK_KEY = methodDef('basic.get-ok').key;

/** The parts of a channel that inbound methods reach. */
export interface DispatchParts {
  readonly id: number;
  readonly lifecycle: ChannelLifecycle;
  readonly rpc: RpcQueue;
  readonly deliveries: DeliveryLedger;
  readonly consumers: ConsumerRegistry;
  readonly publisher: Publisher;
  /** What a delivered message acks through (the channel). */
  readonly acker: Acker;
  /** Write an asynchronous reply (channel.flow-ok, basic.cancel-ok). */
  send<N extends MethodName>(name: N, args: MethodArgs<N>): void;
  /** Emit a channel event; a throwing listener is reported, never fatal. */
  emit(event: string, ...args: unknown[]): void;
  /** Report an error that belongs to no promise. */
  report(err: unknown): void;
}

/** Routes each inbound method of one channel to its handler. Handlers may throw FrameError. */
export class ChannelDispatch {
  constructor(private readonly c: DispatchParts) {}

  /** A method without content. `key` is its method key. */
  onMethod(m: Method, key: number): void {
    const state = this.c.lifecycle.current;
    if (state === 'closed') return;
    if (state === 'closing') {
      // After channel.close only close and close-ok count (spec 1.5.2.5).
      if (m.name === 'channel.close') this.onChannelClose(m.args);
      else if (m.name === 'channel.close-ok') this.onChannelCloseOk();
      return;
    }
    switch (m.name) {
      case 'basic.ack': return this.onBasicAck(m.args);
      case 'basic.nack': return this.onBasicNack(m.args);
      case 'basic.cancel': return this.onBasicCancel(m.args);
      case 'channel.close': return this.onChannelClose(m.args);
      case 'channel.flow': return this.onChannelFlow(m.args);
      default:
        if (this.c.rpc.reply(key, m)) return;
        throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${m.name} on channel ${this.c.id} answers no request`);
    }
  }

  /** A content-bearing method with its properties and whole body. */
  onContent(content: Content): void {
    if (this.c.lifecycle.onlyCloseCounts) return;
    const { method, properties, body } = content;
    switch (method.name) {
      case 'basic.deliver': return this.onBasicDeliver(method.args, properties, body);
      case 'basic.get-ok': return this.onBasicGetOk(method.args, properties, body);
      case 'basic.return': return this.onBasicReturn(method.args, properties, body);
      default:
        throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${method.name} from the broker on channel ${this.c.id}`);
    }
  }

  private onBasicDeliver(d: BasicDeliverArgs, properties: BasicProperties, body: Buffer): void {
    const consumer = this.c.consumers.get(d.consumerTag);
    if (consumer === undefined) {
      this.c.report(new UsageError(`delivery ${d.deliveryTag} for unknown consumer '${d.consumerTag}' dropped`));
      return;
    }
    if (!consumer.noAck) this.c.deliveries.delivered(d.deliveryTag);
    consumer.deliver(new Message(body, properties, d, consumer.noAck ? null : this.c.acker));
  }

  private onBasicGetOk(args: DecodedArgs<'basic.get-ok'>, properties: BasicProperties, body: Buffer): void {
    const noAck = this.c.rpc.getWantsNoAck;
    if (!noAck) this.c.deliveries.delivered(args.deliveryTag);
    this.c.rpc.reply(GET_OK_KEY, new Message(body, properties, { ...args }, noAck ? null : this.c.acker));
  }

  private onBasicReturn(args: DecodedArgs<'basic.return'>, properties: BasicProperties, body: Buffer): void {
    const returned: ReturnedMessage = { body, properties, fields: { ...args } };
    this.c.publisher.onReturn(returned.fields, body.length);
    this.c.emit('return', returned);
  }

  private onBasicAck(args: DecodedArgs<'basic.ack'>): void {
    this.c.publisher.onAck(args.deliveryTag, args.multiple);
  }

  private onBasicNack(args: DecodedArgs<'basic.nack'>): void {
    this.c.publisher.onNack(args.deliveryTag, args.multiple);
  }

  /** The broker cancelled a consumer (queue deleted, failover, ...). */
  private onBasicCancel(args: DecodedArgs<'basic.cancel'>): void {
    if (!args.nowait) this.c.send('basic.cancel-ok', { consumerTag: args.consumerTag });
    this.c.consumers.remove(args.consumerTag, new ConsumerCancelledError(args.consumerTag));
    this.c.emit('cancel', args.consumerTag);
  }

  private onChannelClose(args: DecodedArgs<'channel.close'>): void {
    this.c.lifecycle.onClose(args);
  }

  private onChannelCloseOk(): void {
    this.c.lifecycle.onCloseOk();
  }

  private onChannelFlow(args: DecodedArgs<'channel.flow'>): void {
    this.c.send('channel.flow-ok', { active: args.active });
    this.c.emit('flow', args.active);
  }
}
