/**
 * Hand-specialised codecs for the methods on the per-message path: basic.publish out (and in, for
 * a server), basic.deliver in, basic.ack out. They skip the table walk; a property test
 * (test/unit/methods/fast-path.test.ts) proves them byte-identical to the generic codec.
 * @packageDocumentation
 */
import { FrameType } from '../frames/constants.js';
import { syntaxError } from '../frames/errors.js';
import { decodeText } from '../frames/reader.js';
import { frameEnd, frameHeader, type Writer } from '../frames/writer.js';
import { methodKey } from './definitions.js';

/** basic.publish: class 60, method 40. */
export const BASIC_PUBLISH_KEY = methodKey(60, 40);
/** basic.deliver: class 60, method 60. */
export const BASIC_DELIVER_KEY = methodKey(60, 60);
/** basic.ack: class 60, method 80. */
export const BASIC_ACK_KEY = methodKey(60, 80);

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
    buf[p] = 0; // class 60, method 40
    buf[p + 1] = 60;
    buf[p + 2] = 0;
    buf[p + 3] = 40;
    buf[p + 4] = 0; // ticket (deprecated, short 0)
    buf[p + 5] = 0;
    w.pos = p + 6;
    w.shortstr(exchange, 'exchange', 'basic.publish');
    w.shortstr(routingKey, 'routingKey', 'basic.publish');
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
  frameHeader(buf, p, FrameType.METHOD, channel, 13);
  buf.writeUInt32BE(BASIC_ACK_KEY, p + 7);
  buf.writeUInt32BE(Math.floor(deliveryTag / 0x100000000), p + 11);
  buf.writeUInt32BE(deliveryTag >>> 0, p + 15);
  buf[p + 19] = multiple ? 1 : 0;
  w.pos = frameEnd(buf, p + 20);
}

/** The arguments of a basic.deliver, decoded without the generic table walk. */
export interface BasicDeliverArgs {
  consumerTag: string;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

/** One remembered short string: the bytes it came from and the text they decoded to. */
class ShortstrSlot {
  bytes: Buffer = Buffer.alloc(0);
  text = '';
}

/**
 * Memory of the consumer tag, exchange and routing key of the previous basic.deliver (or the
 * exchange and routing key of the previous basic.publish, on a server) on one channel. A consumer mostly sees the same three strings, so when the bytes repeat, the string
 * decoded from them last time is reused: a byte compare instead of a UTF-8 check and a new string.
 */
export class DeliverCache {
  /** @internal */ readonly consumerTag = new ShortstrSlot();
  /** @internal */ readonly exchange = new ShortstrSlot();
  /** @internal */ readonly routingKey = new ShortstrSlot();
}

/**
 * Decode the payload of a method frame known to be basic.deliver (class/method ids included).
 * `cache`, kept per channel, lets repeated strings be reused (see DeliverCache).
 */
export function decodeBasicDeliver(buf: Buffer, start: number, end: number, cache?: DeliverCache): BasicDeliverArgs {
  let pos = start + 4;
  const consumerTag = shortstrAt(buf, pos, end, cache?.consumerTag);
  pos += 1 + buf[pos]!;
  need(8, pos, end, 'delivery tag');
  const hi = ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
  const lo = ((buf[pos + 4]! << 24) | (buf[pos + 5]! << 16) | (buf[pos + 6]! << 8) | buf[pos + 7]!) >>> 0;
  if (hi > 0x1fffff) throw syntaxError(`delivery tag ${(BigInt(hi) << 32n) | BigInt(lo)} exceeds 2^53-1`);
  pos += 8;
  need(1, pos, end, 'octet');
  const redelivered = (buf[pos++]! & 1) !== 0;
  const exchange = shortstrAt(buf, pos, end, cache?.exchange);
  pos += 1 + buf[pos]!;
  const routingKey = shortstrAt(buf, pos, end, cache?.routingKey);
  pos += 1 + buf[pos]!;
  if (pos !== end) throw syntaxError(`basic.deliver has ${end - pos} bytes after its last argument`);
  return { consumerTag, deliveryTag: hi * 0x100000000 + lo, redelivered, exchange, routingKey };
}

/** The arguments of a basic.publish, as the generic decoder gives them. */
export interface BasicPublishArgs {
  ticket: number;
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  immediate: boolean;
}

/**
 * Decode the payload of a method frame known to be basic.publish (class/method ids included): a
 * server's per-message path. `cache`, kept per channel, lets repeated strings be reused.
 */
export function decodeBasicPublish(buf: Buffer, start: number, end: number, cache?: DeliverCache): BasicPublishArgs {
  let pos = start + 4;
  need(2, pos, end, 'short');
  const ticket = (buf[pos]! << 8) | buf[pos + 1]!;
  pos += 2;
  const exchange = shortstrAt(buf, pos, end, cache?.exchange);
  pos += 1 + buf[pos]!;
  const routingKey = shortstrAt(buf, pos, end, cache?.routingKey);
  pos += 1 + buf[pos]!;
  need(1, pos, end, 'octet');
  // mandatory and immediate share one octet, least significant bit first (spec 4.2.5.2).
  const bits = buf[pos++]!;
  if (pos !== end) throw syntaxError(`basic.publish has ${end - pos} bytes after its last argument`);
  return { ticket, exchange, routingKey, mandatory: (bits & 1) !== 0, immediate: (bits & 2) !== 0 };
}

/** Same check and message as Reader#need, without a Reader. */
function need(n: number, pos: number, end: number, what: string): void {
  if (n > end - pos) throw syntaxError(`truncated ${what}: needs ${n} bytes, ${end - pos} left`);
}

/** The short string at `pos` (length octet included), reusing the slot's text when the bytes repeat. */
function shortstrAt(buf: Buffer, pos: number, end: number, slot: ShortstrSlot | undefined): string {
  need(1, pos, end, 'short string length');
  const len = buf[pos]!;
  const from = pos + 1;
  need(len, from, end, 'short string');
  if (slot === undefined) return decodeText(buf, from, from + len, 'short string');
  const known = slot.bytes;
  if (known.length === len) {
    let i = 0;
    while (i < len && buf[from + i] === known[i]) i++;
    if (i === len) return slot.text;
  }
  const text = decodeText(buf, from, from + len, 'short string');
  slot.bytes = Buffer.from(buf.subarray(from, from + len));
  slot.text = text;
  return text;
}
