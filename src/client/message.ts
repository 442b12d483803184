/**
 * What consumers, basicGet and basic.return hand to the application.
 * @packageDocumentation
 */
import type { BasicProperties } from '../frames/properties.js';
import { UsageError } from './errors.js';

/** Delivery fields of a message from basic.deliver or basic.get-ok. */
export interface DeliveryFields {
  /** Per-channel tag to ack/nack/reject with. */
  deliveryTag: number;
  /** The broker delivered it before (to this or another consumer) without an ack. */
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  /** Set for basic.deliver. */
  consumerTag?: string;
  /** Set for basic.get-ok: messages left in the queue. */
  messageCount?: number;
}

/** What a delivered message acknowledges through: its channel's basicAck, basicNack and basicReject. */
export interface Acker {
  basicAck(deliveryTag: number, o: { multiple?: boolean }): void;
  basicNack(deliveryTag: number, o: { multiple?: boolean; requeue?: boolean }): void;
  basicReject(deliveryTag: number, o: { requeue?: boolean }): void;
}

/**
 * A delivered message. `body` is a view of the frame that carried it when the frame arrived whole
 * (no copy); it stays valid, but copy it (`Buffer.from(msg.body)`) if you keep many small bodies for
 * a long time, since a view keeps its whole socket chunk alive.
 */
export class Message {
  readonly body: Buffer;
  readonly properties: BasicProperties;
  readonly fields: DeliveryFields;
  readonly #acker: Acker | null;

  /** @internal Messages come from a channel. */
  constructor(body: Buffer, properties: BasicProperties, fields: DeliveryFields, acker: Acker | null) {
    this.body = body;
    this.properties = properties;
    this.fields = fields;
    this.#acker = acker;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return this.body.toString('utf8');
  }

  /** The body parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.body.toString('utf8')) as T;
  }

  /** basic.ack this delivery (or, with `multiple`, every earlier one too). */
  ack(multiple = false): void {
    this.#need().basicAck(this.fields.deliveryTag, { multiple });
  }

  /** basic.nack; `requeue` defaults to true as in pika. */
  nack(options: { multiple?: boolean; requeue?: boolean } = {}): void {
    this.#need().basicNack(this.fields.deliveryTag, options);
  }

  /** basic.reject; `requeue` defaults to true as in pika. */
  reject(options: { requeue?: boolean } = {}): void {
    this.#need().basicReject(this.fields.deliveryTag, options);
  }

  #need(): Acker {
    if (this.#acker === null) {
      throw new UsageError('this message was delivered with noAck: there is nothing to acknowledge');
    }
    return this.#acker;
  }
}

/** Fields of a basic.return. */
export interface ReturnFields {
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
}

/** A message the broker returned (mandatory and unroutable). */
export interface ReturnedMessage {
  body: Buffer;
  properties: BasicProperties;
  fields: ReturnFields;
}
