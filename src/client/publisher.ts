/**
 * Publishing: fire-and-forget basic.publish with backpressure, and publisher confirms with a
 * bounded number in flight, in call order.
 * @packageDocumentation
 */
import type { BasicProperties } from '../frames/properties.js';
import { writeContent } from '../frames/content.js';
import { encodeBasicPublish } from '../methods/fast-path.js';
import { ChannelCore, type CallOptions } from './channel-core.js';
import { ConfirmTracker } from './confirms.js';
import { UsageError } from './errors.js';
import { Fifo } from './fifo.js';

/** A message body: bytes, or a string sent as UTF-8. */
export type Body = Uint8Array | string;

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

/** The publishing half of a channel; `Channel` adds the other operations. */
export abstract class PublishingChannel extends ChannelCore {
  private selecting: Promise<void> | null = null;
  /** Confirmed publishes waiting for confirm mode or an in-flight place, in call order. */
  private readonly publishQueue = new Fifo<QueuedPublish>();
  private pumping = false;
  private readonly queueDrained: Array<() => void> = [];

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
   * Messages go out in call order, whether or not they had to wait. Waiting calls cost O(1) each,
   * but each holds its body and promise until its turn: for a large batch, keep a bounded number
   * of calls outstanding (start the next when one settles) instead of `Promise.all` over all of
   * them, and memory stays proportional to that bound rather than to the batch (see the README).
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
}
