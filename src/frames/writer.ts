/**
 * A growable output buffer, one per connection. Frames are written straight into it and the
 * connection hands the filled part to the socket once per tick.
 * @packageDocumentation
 */
import { FRAME_END, FRAME_HEADER_SIZE, FrameType } from './constants.js';
import { EncodeError } from './errors.js';

const MAX_U32 = 0xffffffff;
/** Flushes up to this size are copied out so the buffer can be reused. */
const COPY_OUT_MAX = 16 * 1024;
/** After handing over a buffer up to this size, the next one starts at the same size. */
const KEEP_SIZE_UP_TO = 1024 * 1024;
/** A buffer grown past this is dropped after a flush. */
const SHRINK_ABOVE = 4 * 1024 * 1024;
const MAX_I64 = (1n << 63n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_U64 = (1n << 64n) - 1n;
/** In a `u` regex a surrogate pair is one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Buffer.write would put U+FFFD in place of an unpaired surrogate: refuse instead of changing the text. */
function checkWellFormed(s: string, field: string, method?: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new EncodeError(`${where(field, method)} contains an unpaired UTF-16 surrogate, which UTF-8 cannot carry`, { method, field });
  }
}

/** `basic.publish: exchange`, or just the field when no method is named. */
function where(field: string, method: string | undefined): string {
  return method === undefined ? field : `${method}: ${field}`;
}

/**
 * Lay out a frame header at `buf[at, at + 7)`: type, channel, payload size (spec 4.2.3). The one
 * place a frame header is written; hot paths that fill a buffer themselves call it too.
 */
export function frameHeader(buf: Uint8Array, at: number, type: number, channel: number, size: number): void {
  // Plain byte stores: Buffer#writeUInt16BE re-validates and costs more than the frame it frames.
  buf[at] = type;
  buf[at + 1] = channel >>> 8;
  buf[at + 2] = channel;
  buf[at + 3] = size >>> 24;
  buf[at + 4] = size >>> 16;
  buf[at + 5] = size >>> 8;
  buf[at + 6] = size;
}

/** Put the frame-end octet at `buf[at]`; returns the offset after it. */
export function frameEnd(buf: Uint8Array, at: number): number {
  buf[at] = FRAME_END;
  return at + 1;
}

/** A heartbeat frame (type 8, channel 0, no payload) in a buffer of its own. */
export function heartbeatFrame(): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 1);
  frameHeader(buf, 0, FrameType.HEARTBEAT, 0, 0);
  frameEnd(buf, FRAME_HEADER_SIZE);
  return buf;
}

/**
 * Writes AMQP primitives into a reused buffer that doubles when full.
 *
 * `flush()` hands the written bytes to the socket without ever writing over them afterwards.
 */
export class Writer {
  /** The current buffer; valid bytes are `[0, pos)`. */
  buf: Buffer;
  /** Next write offset. */
  pos = 0;
  /** Largest frame (header + payload + frame-end) `endFrame` accepts; 0 means no limit. */
  frameMax: number;
  private readonly initialSize: number;

  constructor(initialSize = 16 * 1024, frameMax = 0) {
    this.initialSize = initialSize;
    this.buf = Buffer.allocUnsafe(initialSize);
    this.frameMax = frameMax;
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = Math.max(this.buf.length * 2, this.initialSize);
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * Hand out everything written so far and start over. The socket may hold the returned bytes
   * until its write completes, so they are never written into again: a small output is copied
   * out and the buffer kept; a large one is handed over whole and the writer goes on in a new
   * buffer of the same size (up to 1 MiB), so a steady stream of large writes does not regrow
   * one from scratch each time. Handing over every buffer would let a stalled socket pin a whole
   * buffer per tiny write.
   */
  flush(): Buffer {
    const n = this.pos;
    this.pos = 0;
    if (n <= COPY_OUT_MAX && n <= this.buf.length >>> 2) {
      const out = Buffer.allocUnsafe(n);
      this.buf.copy(out, 0, 0, n);
      // A buffer grown for one huge message is not kept for small ones.
      if (this.buf.length > SHRINK_ABOVE) this.buf = Buffer.allocUnsafe(this.initialSize);
      return out;
    }
    const out = this.buf.subarray(0, n);
    this.buf = Buffer.allocUnsafe(Math.max(this.initialSize, Math.min(this.buf.length, KEEP_SIZE_UP_TO)));
    return out;
  }

  /** Drop everything written after `pos` (used to undo a frame that failed to encode). */
  rewind(pos: number): void {
    this.pos = pos;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  i8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }

  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  /** Unsigned 64-bit; numbers must be safe integers, bigints within 0..2^64-1. */
  u64(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) throw new EncodeError(`value ${v} is outside the uint64 range of safe integers`);
      this.ensure(8);
      // Two 32-bit halves: cheaper than a BigInt for the common case (delivery tags, body sizes).
      this.buf.writeUInt32BE(Math.floor(v / 0x100000000), this.pos);
      this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    } else {
      if (v < 0n || v > MAX_U64) throw new EncodeError(`value ${v} is outside the uint64 range`);
      this.ensure(8);
      this.buf.writeBigUInt64BE(v, this.pos);
    }
    this.pos += 8;
  }

  /** Signed 64-bit. */
  i64(v: number | bigint): void {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new EncodeError(`value ${v} is not a safe integer for int64`);
    this.ensure(8);
    const b = typeof v === 'bigint' ? v : BigInt(v);
    if (b < MIN_I64 || b > MAX_I64) throw new EncodeError(`value ${v} is outside the int64 range`);
    this.buf.writeBigInt64BE(b, this.pos);
    this.pos += 8;
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * Short string: length octet + UTF-8. Over 255 bytes is an error, never a truncation.
   * `field` and `method` name it in the EncodeError.
   */
  shortstr(s: string, field = 'short string', method?: string): void {
    const n = s.length;
    if (n <= 255 && this.asciiInto(s, 1)) return;
    checkWellFormed(s, field, method);
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 255) {
      throw new EncodeError(`${where(field, method)} is ${len} UTF-8 bytes; a short string holds at most 255`, { method, field });
    }
    this.ensure(1 + len);
    this.buf[this.pos] = len;
    this.buf.write(s, this.pos + 1, len, 'utf8');
    this.pos += 1 + len;
  }

  /** Long string: uint32 length + bytes (strings as UTF-8). */
  longstr(s: string | Uint8Array): void {
    if (typeof s !== 'string') {
      this.u32(s.length);
      this.bytes(s);
      return;
    }
    if (s.length < 256 && this.asciiInto(s, 4)) return;
    checkWellFormed(s, 'long string');
    const len = Buffer.byteLength(s, 'utf8');
    if (len > MAX_U32) throw new EncodeError(`long string of ${len} bytes exceeds 2^32-1`);
    this.ensure(4 + len);
    this.buf.writeUInt32BE(len, this.pos);
    this.buf.write(s, this.pos + 4, len, 'utf8');
    this.pos += 4 + len;
  }

  /**
   * ASCII fast path: copy char codes straight in behind a length prefix of `prefix` bytes.
   * Returns false (having written nothing) at the first non-ASCII character.
   */
  private asciiInto(s: string, prefix: 1 | 4): boolean {
    const n = s.length;
    this.ensure(prefix + n);
    const buf = this.buf;
    const at = this.pos + prefix;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return false;
      buf[at + i] = c;
    }
    if (prefix === 1) buf[this.pos] = n;
    else buf.writeUInt32BE(n, this.pos);
    this.pos = at + n;
    return true;
  }

  /**
   * Start a frame: type, channel and a size placeholder. Returns the frame's start offset for
   * `endFrame`.
   */
  startFrame(type: number, channel: number): number {
    if ((channel & 0xffff) !== channel) throw new RangeError(`channel ${channel} is outside 0..65535`);
    this.ensure(FRAME_HEADER_SIZE);
    const start = this.pos;
    const buf = this.buf;
    // The size is patched by endFrame.
    buf[start] = type;
    buf[start + 1] = channel >>> 8;
    buf[start + 2] = channel;
    this.pos = start + FRAME_HEADER_SIZE;
    return start;
  }

  /**
   * Finish the frame begun at `start`: patch its size and append frame-end. A frame over
   * `frameMax` is undone and rejected with an EncodeError.
   */
  endFrame(start: number): void {
    const size = this.pos - start - FRAME_HEADER_SIZE;
    if (this.frameMax !== 0 && size + 8 > this.frameMax) {
      this.pos = start;
      throw new EncodeError(`frame of ${size + 8} bytes exceeds the negotiated frame_max ${this.frameMax}`);
    }
    this.ensure(1);
    const buf = this.buf;
    buf[start + 3] = size >>> 24;
    buf[start + 4] = size >>> 16;
    buf[start + 5] = size >>> 8;
    buf[start + 6] = size;
    this.pos = frameEnd(buf, this.pos);
  }

  /** Write a heartbeat frame. */
  heartbeat(): void {
    this.ensure(FRAME_HEADER_SIZE + 1);
    frameHeader(this.buf, this.pos, FrameType.HEARTBEAT, 0, 0);
    this.pos = frameEnd(this.buf, this.pos + FRAME_HEADER_SIZE);
  }
}
