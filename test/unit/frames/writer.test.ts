import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/frames/errors.js';
import { Reader } from '../../../src/frames/reader.js';
import { Writer, frameEnd, frameHeader, heartbeatFrame } from '../../../src/frames/writer.js';
import { hex } from '../../support/hex.js';

/** Run `fn` on a fresh writer and return what it wrote. */
function written(fn: (w: Writer) => void, initialSize = 4): Buffer {
  const w = new Writer(initialSize);
  fn(w);
  return Buffer.from(w.flush());
}

/** Expect `fn` to throw EncodeError and leave the writer exactly where it was. */
function expectEncodeErrorNoWrite(w: Writer, fn: () => void, message?: RegExp): void {
  const pos = w.pos;
  const before = Buffer.from(w.buf.subarray(0, pos));
  expect(fn).toThrow(EncodeError);
  if (message) expect(fn).toThrow(message);
  expect(w.pos).toBe(pos);
  expect(Buffer.from(w.buf.subarray(0, pos))).toEqual(before);
}

describe('Writer primitives', () => {
  it('writes integers and floats big-endian', () => {
    const out = written((w) => {
      w.u8(0xab); w.u16(0x0102); w.u32(0xdeadbeef); w.i8(-1); w.i16(-2); w.i32(-3); w.f32(1.5); w.f64(-0.25);
    });
    expect(out).toEqual(hex`
      ab          # u8
      0102        # u16
      deadbeef    # u32
      ff          # i8 -1
      fffe        # i16 -2
      fffffffd    # i32 -3
      3fc00000    # f32 1.5
      bfd0000000000000  # f64 -0.25
    `);
  });

  it('grows past its initial size without losing bytes', () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const out = written((w) => { for (const b of bytes) w.u8(b); }, 1);
    expect(out).toEqual(bytes);
  });

  it('writes u64 from numbers and bigints', () => {
    const out = written((w) => {
      w.u64(0); w.u64(1); w.u64(0x100000000); w.u64(Number.MAX_SAFE_INTEGER); w.u64(0xffffffffffffffffn);
    });
    expect(out).toEqual(hex`
      0000000000000000  # 0
      0000000000000001  # 1
      0000000100000000  # 2^32
      001fffffffffffff  # 2^53-1
      ffffffffffffffff  # 2^64-1 as bigint
    `);
  });

  it('u64 round trips every safe integer through Reader.u64', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (n) => {
      const r = new Reader(written((w) => w.u64(n)));
      expect(r.u64()).toBe(n);
    }));
  });

  it('u64 refuses what does not fit, writing nothing', () => {
    const w = new Writer(4);
    w.u8(7);
    for (const bad of [-1n, 1n << 64n, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity]) {
      expectEncodeErrorNoWrite(w, () => w.u64(bad), /uint64/);
    }
  });

  it('writes i64 across its range and refuses beyond it', () => {
    expect(written((w) => { w.i64(-1); w.i64(-(1n << 63n)); w.i64((1n << 63n) - 1n); })).toEqual(hex`
      ffffffffffffffff  8000000000000000  7fffffffffffffff
    `);
    const w = new Writer(4);
    for (const bad of [1n << 63n, -(1n << 63n) - 1n, 1.5, Number.NaN]) {
      expectEncodeErrorNoWrite(w, () => w.i64(bad), /int64/);
    }
  });
});

describe('Writer.shortstr', () => {
  const read = (b: Buffer): string => new Reader(b).shortstr();

  it('takes exactly 255 bytes and refuses 256 without writing', () => {
    const out = written((w) => w.shortstr('a'.repeat(255)));
    expect(out.length).toBe(256);
    expect(out[0]).toBe(255);
    const w = new Writer(4);
    w.u8(1);
    expectEncodeErrorNoWrite(w, () => w.shortstr('a'.repeat(256), 'queue'), /queue is 256 UTF-8 bytes; a short string holds at most 255/);
  });

  it('counts multibyte UTF-8 in bytes, not characters, and never truncates', () => {
    const e254 = 'é'.repeat(127); // 254 bytes
    expect(read(written((w) => w.shortstr(e254)))).toBe(e254);
    expect(read(written((w) => w.shortstr(`${e254}x`)))).toBe(`${e254}x`);
    const emoji = `${'😀'.repeat(63)}abc`; // 252 + 3 = 255 bytes, 129 UTF-16 units
    expect(written((w) => w.shortstr(emoji))[0]).toBe(255);
    expect(read(written((w) => w.shortstr(emoji)))).toBe(emoji);
    const w = new Writer(4);
    expectEncodeErrorNoWrite(w, () => w.shortstr('é'.repeat(128)), /256 UTF-8 bytes/); // only 128 chars
    expectEncodeErrorNoWrite(w, () => w.shortstr('😀'.repeat(64)), /256 UTF-8 bytes/);
    expectEncodeErrorNoWrite(w, () => w.shortstr(`${'a'.repeat(254)}é`), /256 UTF-8 bytes/); // ASCII path falls back
  });

  it('refuses a lone surrogate instead of silently writing U+FFFD', () => {
    const w = new Writer(4);
    expectEncodeErrorNoWrite(w, () => w.shortstr('a\ud800b'), /UTF-16/);
    expectEncodeErrorNoWrite(w, () => w.longstr('\udc00'), /UTF-16/);
  });

  it('round trips any string up to 255 bytes', { timeout: 60_000 }, () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      const w = new Writer(8);
      if (Buffer.byteLength(s) > 255) {
        expectEncodeErrorNoWrite(w, () => w.shortstr(s));
        return;
      }
      w.shortstr(s);
      expect(read(Buffer.from(w.flush()))).toBe(s);
    }), { numRuns: 300 });
  });
});

describe('Writer.longstr', () => {
  it('writes strings as UTF-8 and bytes as they are, with a uint32 length', () => {
    expect(written((w) => { w.longstr('hi'); w.longstr('é'); w.longstr(Uint8Array.of(0xff, 0)); w.longstr(''); })).toEqual(hex`
      00000002 6869    # "hi"
      00000002 c3a9    # "é"
      00000002 ff00    # raw bytes
      00000000         # ""
    `);
  });

  it('handles long ASCII and non-ASCII strings past the fast path', () => {
    for (const s of ['x'.repeat(70000), `${'é'.repeat(300)}z`, `${'a'.repeat(200)}😀`]) {
      const r = new Reader(written((w) => w.longstr(s)));
      expect(r.longstrBytes().toString('utf8')).toBe(s);
      expect(r.remaining).toBe(0);
    }
  });
});

describe('Writer frames', () => {
  it('patches the size and appends frame-end', () => {
    const out = written((w) => {
      const start = w.startFrame(1, 0x0102);
      w.u32(0x000a000b);
      w.endFrame(start);
    });
    expect(out).toEqual(hex`01 0102 00000004  000a000b  ce`);
  });

  it('patches the right frame when the buffer grows mid-frame', () => {
    const out = written((w) => {
      const start = w.startFrame(3, 7);
      w.bytes(Buffer.alloc(5000, 0x61));
      w.endFrame(start);
    }, 8);
    expect(out.readUInt32BE(3)).toBe(5000);
    expect(out.length).toBe(5008);
    expect(out[5007]).toBe(0xce);
  });

  it('accepts a frame of exactly frameMax bytes and refuses one byte more, leaving nothing behind', () => {
    const frameMax = 4096;
    const w = new Writer(16, frameMax);
    const a = w.startFrame(3, 1);
    w.bytes(Buffer.alloc(frameMax - 8, 1));
    w.endFrame(a);
    expect(w.pos).toBe(frameMax);
    const b = w.startFrame(3, 1);
    w.bytes(Buffer.alloc(frameMax - 7, 2));
    expect(() => w.endFrame(b)).toThrow(EncodeError);
    expect(w.pos).toBe(frameMax);
    const c = w.startFrame(3, 1);
    w.bytes(Buffer.alloc(frameMax - 7, 2));
    expect(() => w.endFrame(c)).toThrow(/frame of 4097 bytes exceeds the negotiated frame_max 4096/);
    const out = w.flush();
    expect(out.length).toBe(frameMax);
    expect(out.subarray(7, frameMax - 1).every((x) => x === 1)).toBe(true);
    expect(out[frameMax - 1]).toBe(0xce);
  });

  it('treats frameMax 0 as no limit', () => {
    const w = new Writer(16, 0);
    const s = w.startFrame(3, 1);
    w.bytes(Buffer.alloc(200000));
    w.endFrame(s);
    expect(w.pos).toBe(200008);
  });
});

describe('Writer.flush and rewind', () => {
  it('hands out the written bytes and never writes into them again', () => {
    const w = new Writer(8);
    w.u32(0x01020304);
    const first = w.flush();
    expect(first).toEqual(hex`01020304`);
    expect(w.pos).toBe(0);
    w.u32(0xaaaaaaaa);
    w.u32(0xbbbbbbbb);
    expect(first).toEqual(hex`01020304`);
    expect(w.flush()).toEqual(hex`aaaaaaaa bbbbbbbb`);
  });

  it('gives an empty buffer when nothing was written', () => {
    const w = new Writer(8);
    expect(w.flush().length).toBe(0);
    w.u8(1);
    w.flush();
    expect(w.flush().length).toBe(0);
  });

  it('rewind drops what was written after the mark', () => {
    const w = new Writer(8);
    w.u16(0x0102);
    const mark = w.pos;
    w.u32(0xffffffff);
    w.rewind(mark);
    w.u8(3);
    expect(w.flush()).toEqual(hex`0102 03`);
  });
});

describe('frame headers come from the writer', () => {
  it('frameHeader and frameEnd lay out type, channel, size and the frame-end octet', () => {
    const buf = Buffer.alloc(10);
    frameHeader(buf, 1, 3, 0x0102, 0x03040506);
    expect(frameEnd(buf, 8)).toBe(9);
    expect(buf).toEqual(hex`00  03 0102 03040506  ce 00  # pad, body frame header, frame-end, pad`);
  });

  it('a heartbeat frame, standalone and written into the buffer', () => {
    const heartbeat = hex`08 0000 00000000 ce  # heartbeat frame`;
    expect(heartbeatFrame()).toEqual(heartbeat);
    expect(written((w) => w.heartbeat(), 2)).toEqual(heartbeat);
  });
});
