/**
 * A bounds-checked cursor over a frame payload. Every read checks the end first, so truncated or
 * lying input becomes a 502 SYNTAX_ERROR, never a RangeError from Buffer.
 * @packageDocumentation
 */
import { syntaxError } from './errors.js';

// ignoreBOM keeps a leading U+FEFF in the text: it is data here, not a byte-order mark to strip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads AMQP primitives from `buf` between `pos` and `end`. */
export class Reader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Throw unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw syntaxError(`truncated ${what}: needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    this.need(1, 'octet');
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2, 'short');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'long');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  i8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  i16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * Unsigned 64-bit as a number. Values above 2^53-1 cannot be a JS number without loss, so they
   * are a typed error rather than a silently rounded tag or size.
   */
  u64(what = 'longlong'): number {
    this.need(8, what);
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    if (hi > 0x1fffff) throw syntaxError(`${what} ${(BigInt(hi) << 32n) | BigInt(lo)} exceeds 2^53-1`);
    return hi * 0x100000000 + lo;
  }

  /** Signed 64-bit: a number when it is a safe integer, otherwise a bigint. */
  i64(): number | bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  /** Unsigned 64-bit as a bigint (always exact). */
  u64Big(): bigint {
    this.need(8, 'uint64');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  f32(): number {
    this.need(4, 'float');
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8, 'double');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A short string, which must be valid UTF-8. */
  shortstr(): string {
    this.need(1, 'short string length');
    const len = this.buf[this.pos]!;
    this.pos += 1;
    this.need(len, 'short string');
    const s = decodeText(this.buf, this.pos, this.pos + len, 'short string');
    this.pos += len;
    return s;
  }

  /** A long string's bytes, copied out so they outlive the frame buffer. */
  longstrBytes(): Buffer {
    const len = this.u32();
    this.need(len, 'long string');
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return b;
  }

  /** `n` raw bytes as a view (no copy). */
  view(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** Decode UTF-8, with an ASCII fast path; invalid UTF-8 is a 502. */
export function decodeText(buf: Buffer, start: number, end: number, what: string): string {
  const text = tryDecodeText(buf, start, end);
  if (text === null) throw syntaxError(`${what} is not valid UTF-8`);
  return text;
}

/** Decode UTF-8 with an ASCII fast path; null when the bytes are not valid UTF-8. */
export function tryDecodeText(buf: Buffer, start: number, end: number): string | null {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (buf[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', start, end);
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    return null;
  }
}
