/**
 * The content header frame and the 14 basic properties (spec 4.2.6.1 and the basic class).
 *
 *   class-id(2) weight(2)=0 body-size(8) property-flags(2) property-list
 *
 * Flag bit 15 marks the first property, bit 2 the fourteenth; bit 0 would announce another flags
 * word, which basic never needs. A property that is present with the value 0 or "" is still present:
 * only `undefined` leaves it out.
 * @packageDocumentation
 */
import { FrameType } from './constants.js';
import { EncodeError, syntaxError } from './errors.js';
import { readTable, writeTable, type FieldTable } from './field-table.js';
import { Reader } from './reader.js';
import { readShortText } from './text-cache.js';
import type { Writer } from './writer.js';

/** The 14 properties of class basic, in wire order. */
export interface BasicProperties {
  /** MIME type, e.g. `application/json`. */
  contentType?: string;
  /** MIME encoding, e.g. `gzip`. */
  contentEncoding?: string;
  /** Application headers (a field table). */
  headers?: FieldTable;
  /** 1 = transient, 2 = persistent. */
  deliveryMode?: number;
  /** 0..255 (RabbitMQ honours up to the queue's x-max-priority). */
  priority?: number;
  /** Correlates a reply with its request (RPC). */
  correlationId?: string;
  /** Where to send a reply (RPC). */
  replyTo?: string;
  /** Per-message TTL in milliseconds, as a decimal string (RabbitMQ's rule). */
  expiration?: string;
  /** Application message id. */
  messageId?: string;
  /** Seconds since the Unix epoch. */
  timestamp?: number;
  /** Application message type name. */
  type?: string;
  /** Must match the connection's user when set (RabbitMQ validates it). */
  userId?: string;
  /** Application id. */
  appId?: string;
  /** Deprecated in 0-9-1; carried for completeness. */
  clusterId?: string;
}

/** The names of the 14 properties in wire order (flag bit 15 first). */
export const PROPERTY_NAMES = [
  'contentType', 'contentEncoding', 'headers', 'deliveryMode', 'priority', 'correlationId', 'replyTo',
  'expiration', 'messageId', 'timestamp', 'type', 'userId', 'appId', 'clusterId',
] as const satisfies readonly (keyof BasicProperties)[];

/** A decoded content header. */
export interface ContentHeader {
  classId: number;
  weight: number;
  bodySize: number;
  properties: BasicProperties;
}

function octet(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
    throw new EncodeError(`property ${name} must be an integer 0..255, got ${String(v)}`, { field: name });
  }
  return v;
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new EncodeError(`property ${name} must be a string, got ${typeof v}`, { field: name });
  return v;
}

/** Write the property flags and list for `p` (no frame around it). */
export function writeProperties(w: Writer, p: BasicProperties): void {
  const flagsAt = w.pos;
  w.u16(0);
  let flags = 0;
  // Unrolled in wire order: one branch per property, no per-message arrays or closures.
  if (p.contentType !== undefined) { flags |= 0x8000; w.shortstr(str(p.contentType, 'contentType'), 'contentType'); }
  if (p.contentEncoding !== undefined) { flags |= 0x4000; w.shortstr(str(p.contentEncoding, 'contentEncoding'), 'contentEncoding'); }
  if (p.headers !== undefined) {
    if (p.headers === null || typeof p.headers !== 'object') throw new EncodeError('property headers must be an object', { field: 'headers' });
    flags |= 0x2000;
    writeTable(w, p.headers);
  }
  if (p.deliveryMode !== undefined) { flags |= 0x1000; w.u8(octet(p.deliveryMode, 'deliveryMode')); }
  if (p.priority !== undefined) { flags |= 0x0800; w.u8(octet(p.priority, 'priority')); }
  if (p.correlationId !== undefined) { flags |= 0x0400; w.shortstr(str(p.correlationId, 'correlationId'), 'correlationId'); }
  if (p.replyTo !== undefined) { flags |= 0x0200; w.shortstr(str(p.replyTo, 'replyTo'), 'replyTo'); }
  if (p.expiration !== undefined) { flags |= 0x0100; w.shortstr(str(p.expiration, 'expiration'), 'expiration'); }
  if (p.messageId !== undefined) { flags |= 0x0080; w.shortstr(str(p.messageId, 'messageId'), 'messageId'); }
  if (p.timestamp !== undefined) {
    const t = p.timestamp;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
      throw new EncodeError(`property timestamp must be whole seconds >= 0, got ${String(t)}`, { field: 'timestamp' });
    }
    flags |= 0x0040;
    w.u64(t);
  }
  if (p.type !== undefined) { flags |= 0x0020; w.shortstr(str(p.type, 'type'), 'type'); }
  if (p.userId !== undefined) { flags |= 0x0010; w.shortstr(str(p.userId, 'userId'), 'userId'); }
  if (p.appId !== undefined) { flags |= 0x0008; w.shortstr(str(p.appId, 'appId'), 'appId'); }
  if (p.clusterId !== undefined) { flags |= 0x0004; w.shortstr(str(p.clusterId, 'clusterId'), 'clusterId'); }
  w.buf.writeUInt16BE(flags, flagsAt);
}

/** Read property flags and list. */
export function readProperties(r: Reader): BasicProperties {
  let flags = r.u16();
  // A continuation bit means another flags word follows; basic defines no properties there,
  // so skip the words, and refuse any that set a property we could not place.
  let more = flags & 1;
  while (more) {
    const next = r.u16();
    if (next & 0xfffe) throw syntaxError('content header sets properties beyond the 14 of class basic');
    more = next & 1;
  }
  if (flags & 0x0002) throw syntaxError('content header sets a 15th property; class basic has 14');
  flags &= 0xfffc;
  const p: BasicProperties = {};
  if (flags === 0) return p;
  if (flags & 0x8000) p.contentType = readShortText(r);
  if (flags & 0x4000) p.contentEncoding = readShortText(r);
  if (flags & 0x2000) p.headers = readTable(r);
  if (flags & 0x1000) p.deliveryMode = r.u8();
  if (flags & 0x0800) p.priority = r.u8();
  if (flags & 0x0400) p.correlationId = readShortText(r);
  if (flags & 0x0200) p.replyTo = readShortText(r);
  if (flags & 0x0100) p.expiration = readShortText(r);
  if (flags & 0x0080) p.messageId = readShortText(r);
  if (flags & 0x0040) p.timestamp = r.u64('timestamp');
  if (flags & 0x0020) p.type = readShortText(r);
  if (flags & 0x0010) p.userId = readShortText(r);
  if (flags & 0x0008) p.appId = readShortText(r);
  if (flags & 0x0004) p.clusterId = readShortText(r);
  return p;
}

/** Write a whole content-header frame on `channel`. */
export function writeContentHeader(
  w: Writer, channel: number, classId: number, bodySize: number, p: BasicProperties | undefined,
): void {
  const start = w.startFrame(FrameType.HEADER, channel);
  // class-id, weight (unused, always 0), body-size, and the flags word when there are no properties.
  w.ensure(14);
  const buf = w.buf;
  const at = w.pos;
  const hi = Math.floor(bodySize / 0x100000000);
  buf[at] = classId >>> 8;
  buf[at + 1] = classId;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  buf[at + 4] = hi >>> 24;
  buf[at + 5] = hi >>> 16;
  buf[at + 6] = hi >>> 8;
  buf[at + 7] = hi;
  buf[at + 8] = bodySize >>> 24;
  buf[at + 9] = bodySize >>> 16;
  buf[at + 10] = bodySize >>> 8;
  buf[at + 11] = bodySize;
  if (p === undefined) {
    buf[at + 12] = 0;
    buf[at + 13] = 0;
    w.pos = at + 14;
    w.endFrame(start);
    return;
  }
  w.pos = at + 12;
  try {
    writeProperties(w, p);
    w.endFrame(start);
  } catch (e) {
    w.rewind(start);
    throw e;
  }
}

/** Decode a content-header frame payload `buf[start, end)`. Trailing bytes are a 502. */
export function decodeContentHeader(buf: Buffer, start: number, end: number): ContentHeader {
  // The common case, no properties: the fixed 14 bytes read straight from the buffer.
  if (end - start === 14 && buf[start + 12] === 0 && buf[start + 13] === 0) {
    const hi = ((buf[start + 4]! << 24) | (buf[start + 5]! << 16) | (buf[start + 6]! << 8) | buf[start + 7]!) >>> 0;
    if (hi <= 0x1fffff) {
      const lo = ((buf[start + 8]! << 24) | (buf[start + 9]! << 16) | (buf[start + 10]! << 8) | buf[start + 11]!) >>> 0;
      const classId = (buf[start]! << 8) | buf[start + 1]!;
      const weight = (buf[start + 2]! << 8) | buf[start + 3]!;
      return { classId, weight, bodySize: hi * 0x100000000 + lo, properties: {} };
    }
  }
  const r = new Reader(buf, start, end);
  const classId = r.u16();
  const weight = r.u16();
  const bodySize = r.u64('body size');
  const properties = readProperties(r);
  if (r.pos !== end) throw syntaxError(`content header has ${end - r.pos} bytes after its properties`);
  return { classId, weight, bodySize, properties };
}
