/**
 * Publishing: fire-and-forget basic.publish with backpressure, and publisher confirms with a
 * bounded number in flight, in call order.
 * @packageDocumentation
 */
import type { EventEmitter } from 'node:events';
import { writeContent } from '../../frames/content.js';
import type { BasicProperties } from '../../frames/properties.js';
import { encodeBasicPublish } from '../../methods/fast-path.js';
import { UsageError } from '../errors.js';
import type { ReturnFields } from '../message.js';
import { bodyBytes, type Body } from './body.js';
import { ConfirmTracker } from './confirms.js';
import type { CallOptions, ChannelHost } from './host.js';
import type { ChannelLifecycle } from './lifecycle.js';
import type { RpcQueue } from './rpc-queue.js';
import { Fifo } from '../fifo.js';

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

/** The parts of its channel a publisher works with. */
export interface PublisherParts {
  readonly id: number;
  readonly host: ChannelHost;
  readonly lifecycle: ChannelLifecycle;
  readonly rpc: RpcQueue;
  /** The channel, for its `drain` and `close` events. */
  readonly events: EventEmitter;
}

/** The publishing side of one channel. */
export class Publisher {
  private confirms: ConfirmTracker | null = null;
  private selecting: Promise<void> | null = null;
  /** Confirmed publishes waiting for confirm mode or an in-flight place, in call order. */
  private readonly publishQueue = new Fifo<QueuedPublish>();
  private pumping = false;
  private readonly queueDrained: Array<() => void> = [];
  /** A publish saw the output over its high-water mark: the next drain is worth an event. */
  private needsDrain = false;

  constructor(private readonly parts: PublisherParts) {}

  /** See `Channel.basicPublish`. */
  publish(exchange: string, routingKey: string, body: Body, properties: BasicProperties | undefined, o: PublishOptions): boolean {
    this.parts.lifecycle.assertOpen();
    const bytes = bodyBytes(body, 'basic.publish');
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
    const w = this.parts.host.writer;
    const start = w.pos;
    try {
      encodeBasicPublish(w, this.parts.id, exchange, routingKey, mandatory);
      writeContent(w, this.parts.id, 60, body, properties);
    } catch (e) {
      w.rewind(start);
      throw e;
    }
  }

  private afterWrite(): boolean {
    this.parts.host.scheduleFlush();
    if (!this.parts.host.writeBlocked) return true;
    this.needsDrain = true;
    return false;
  }

  /** See `Channel.drained`. */
  drained(): Promise<void> {
    if (!this.parts.host.writeBlocked) return Promise.resolve();
    this.needsDrain = true;
    const events = this.parts.events;
    return new Promise((resolve, reject) => {
      const onDrain = () => { events.off('close', onClose); resolve(); };
      const onClose = (err?: Error) => { events.off('drain', onDrain); reject(err ?? this.parts.lifecycle.reason ?? new UsageError('channel closed')); };
      events.once('drain', onDrain);
      events.once('close', onClose);
    });
  }

  /** The socket drained below the high-water mark: true when a publish is waiting to hear it. */
  takeDrain(): boolean {
    if (!this.needsDrain) return false;
    this.needsDrain = false;
    return true;
  }

  // ---- confirms --------------------------------------------------------------------------

  /** See `Channel.confirmSelect`. */
  confirmSelect(o: CallOptions): Promise<void> {
    // Publishes are counted from the first one written after confirm.select itself.
    this.selecting ??= this.parts.rpc.call('confirm.select', {}, o, {
      onSent: () => { this.confirms = new ConfirmTracker(this.parts.host.maxConfirmsInFlight); },
    }).then(() => undefined);
    return this.selecting;
  }

  /** See `Channel.publishConfirmed`. */
  publishConfirmed(exchange: string, routingKey: string, body: Body, properties: BasicProperties | undefined, o: PublishOptions): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = bodyBytes(body, 'basic.publish');
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.confirms === null && this.selecting === null) void this.confirmSelect({}).catch(() => undefined);
    const item: QueuedPublish = { exchange, routingKey, body: bytes, properties, mandatory: o.mandatory ?? false, resolve: noop, reject: noop };
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
          if (this.confirms === null) await this.confirmSelect({});
          const confirms = this.confirms as ConfirmTracker | null;
          if (confirms === null) throw new UsageError('confirm.select did not take effect');
          const wait = confirms.acquire();
          if (wait) await wait;
          this.writeConfirmed(confirms, this.publishQueue.shift()!);
        } catch (e) {
          // Confirm mode failed or the channel closed: nothing queued can be sent.
          for (const item of this.publishQueue.drain()) item.reject(e as Error);
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
      this.parts.lifecycle.assertOpen();
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

  /** See `Channel.waitForConfirms`. */
  async waitForConfirms(): Promise<void> {
    if (this.publishQueue.length > 0) await new Promise<void>((resolve) => this.queueDrained.push(resolve));
    if (this.confirms === null && this.selecting !== null) await this.selecting;
    if (this.confirms === null) throw new UsageError('waitForConfirms needs confirmSelect() first');
    return this.confirms.waitForConfirms();
  }

  // ---- inbound ---------------------------------------------------------------------------

  /** basic.ack from the broker (confirm mode). */
  onAck(deliveryTag: number, multiple: boolean): void {
    this.confirms?.onAck(deliveryTag, multiple);
  }

  /** basic.nack from the broker (confirm mode). */
  onNack(deliveryTag: number, multiple: boolean): void {
    this.confirms?.onNack(deliveryTag, multiple);
  }

  /** basic.return: a mandatory publish was unroutable (see confirms.ts on how it is matched). */
  onReturn(fields: ReturnFields, bodyLength: number): void {
    this.confirms?.onReturn(fields, bodyLength);
  }

  /** The channel ended: every confirmed publish and wait rejects with `err`. */
  failAll(err: Error): void {
    this.confirms?.failAll(err);
  }
}
