/**
 * Hand-specialised codecs for the three methods on the per-message path: basic.publish out,
 * basic.deliver in, basic.ack out. They skip the table walk and the args object; a property test
 * (test/unit/methods/fast-path.test.ts) proves them byte-identical to the generic codec.
 * @packageDocumentation
 */
import { FrameType } from '../frames/constants.js';
import { syntaxError } from '../frames/errors.js';
import { Reader } from '../frames/reader.js';
import type { Writer } from '../frames/writer.js';

/** basic.publish: class 60, method 40. */
export const BASIC_PUBLISH_KEY = (60 << 16) | 40;
/** basic.deliver: class 60, method 60. */
export const BASIC_DELIVER_KEY = (60 << 16) | 60;
/** basic.ack: class 60, method 80. */
export const BASIC_ACK_KEY = (60 << 16) | 80;

/**
 * Write a basic.publish method frame. `immediate` is never set: RabbitMQ answers it with a
 * connection error 540 NOT_IMPLEMENTED.
 */
export function encodeBasicPublish(w: Writer, channel: number, exchange: string, routingKey: string, mandatory: boolean): void {
  const start = w.startFrame(FrameType.METHOD, channel);
  try {
    w.ensure(7);
    const buf = w.buf;
    const p = w.pos;
    buf.writeUInt32BE(BASIC_PUBLISH_KEY, p);
    buf[p + 4] = 0; // ticket (deprecated, short 0)
    buf[p + 5] = 0;
    w.pos = p + 6;
    w.shortstr(exchange, 'basic.publish: exchange');
    w.shortstr(routingKey, 'basic.publish: routingKey');
    w.u8(mandatory ? 1 : 0);
    w.endFrame(start);
  } catch (e) {
    w.rewind(start);
    throw e;
  }
}

/** Write a basic.ack method frame. */
export function encodeBasicAck(w: Writer, channel: number, deliveryTag: number, multiple: boolean): void {
  w.ensure(21);
  const buf = w.buf;
  const p = w.pos;
  buf[p] = FrameType.METHOD;
  buf.writeUInt16BE(channel, p + 1);
  buf.writeUInt32BE(13, p + 3);
  buf.writeUInt32BE(BASIC_ACK_KEY, p + 7);
  buf.writeUInt32BE(Math.floor(deliveryTag / 0x100000000), p + 11);
  buf.writeUInt32BE(deliveryTag >>> 0, p + 15);
  buf[p + 19] = multiple ? 1 : 0;
  buf[p + 20] = 0xce;
  w.pos = p + 21;
}

/** The arguments of a basic.deliver, decoded without the generic table walk. */
export interface BasicDeliverArgs {
  consumerTag: string;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

/** Decode the payload of a method frame known to be basic.deliver (class/method ids included). */
export function decodeBasicDeliver(buf: Buffer, start: number, end: number): BasicDeliverArgs {
  const r = new Reader(buf, start + 4, end);
  const consumerTag = r.shortstr();
  const deliveryTag = r.u64('delivery tag');
  const redelivered = (r.u8() & 1) !== 0;
  const exchange = r.shortstr();
  const routingKey = r.shortstr();
  if (r.pos !== end) throw syntaxError(`basic.deliver has ${end - r.pos} bytes after its last argument`);
  return { consumerTag, deliveryTag, redelivered, exchange, routingKey };
}
