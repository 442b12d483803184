import { describe, expect, it } from 'vitest';
import { Reader, decodeText } from '../../../src/frames/reader.js';
import { expectSyntaxError } from '../../support/expect-errors.js';
import { hex } from '../../support/hex.js';

describe('Reader primitives', () => {
  it('reads what the wire says', () => {
    const r = new Reader(hex`
      ab  0102  deadbeef  ff  fffe  fffffffd  3fc00000  bfd0000000000000
      001fffffffffffff  ffffffffffffffff  8000000000000000  ffffffffffffffff
    `);
    expect([r.u8(), r.u16(), r.u32(), r.i8(), r.i16(), r.i32(), r.f32(), r.f64()]).toEqual([
      0xab, 0x0102, 0xdeadbeef, -1, -2, -3, 1.5, -0.25,
    ]);
    expect(r.u64()).toBe(Number.MAX_SAFE_INTEGER);
    expect(r.u64Big()).toBe(0xffffffffffffffffn);
    expect(r.i64()).toBe(-(1n << 63n));
    expect(r.i64()).toBe(-1);
    expect(r.remaining).toBe(0);
  });

  it('refuses a u64 above 2^53-1 rather than rounding it', () => {
    expectSyntaxError(() => new Reader(hex`0020000000000000`).u64('delivery tag'), /delivery tag 9007199254740992 exceeds 2\^53-1/);
    expectSyntaxError(() => new Reader(hex`ffffffffffffffff`).u64());
  });

  it('turns every truncated read into a 502, never a RangeError', () => {
    const one = hex`01`;
    const reads: Array<(r: Reader) => unknown> = [
      (r) => r.u16(), (r) => r.u32(), (r) => r.i16(), (r) => r.i32(), (r) => r.u64(), (r) => r.i64(),
      (r) => r.u64Big(), (r) => r.f32(), (r) => r.f64(), (r) => r.shortstr(), (r) => r.longstrBytes(),
      (r) => r.view(2, 'payload'),
    ];
    for (const read of reads) expectSyntaxError(() => read(new Reader(one)), /truncated/);
    expectSyntaxError(() => new Reader(Buffer.alloc(0)).u8(), /truncated octet/);
  });

  it('respects its end even when the buffer goes on', () => {
    const buf = hex`00 01 02 03 04 05 06 07`;
    const r = new Reader(buf, 2, 5);
    expect(r.u16()).toBe(0x0203);
    expectSyntaxError(() => r.u16());
    expect(r.u8()).toBe(4);
    expectSyntaxError(() => r.u8());
  });

  it('checks a short string against its length octet', () => {
    expect(new Reader(hex`03 616263`).shortstr()).toBe('abc');
    expect(new Reader(hex`02 c3a9`).shortstr()).toBe('é');
    expect(new Reader(hex`00`).shortstr()).toBe('');
    expectSyntaxError(() => new Reader(hex`04 616263`).shortstr(), /truncated short string: needs 4 bytes, 3 left/);
    expectSyntaxError(() => new Reader(hex`ff`).shortstr(), /truncated short string/);
  });

  it('refuses a short string that is not UTF-8', () => {
    expectSyntaxError(() => new Reader(hex`01 ff`).shortstr(), /not valid UTF-8/);
    expectSyntaxError(() => new Reader(hex`02 c328`).shortstr(), /not valid UTF-8/);
    expectSyntaxError(() => new Reader(hex`03 eda080`).shortstr(), /not valid UTF-8/); // an encoded surrogate
  });

  it('checks a long string against its length and copies it out', () => {
    const buf = hex`00000003 616263 ff`;
    const r = new Reader(buf);
    const s = r.longstrBytes();
    expect(s.toString()).toBe('abc');
    buf[4] = 0x7a;
    expect(s.toString()).toBe('abc');
    expect(r.u8()).toBe(0xff);
    expectSyntaxError(() => new Reader(hex`ffffffff 00`).longstrBytes(), /needs 4294967295 bytes, 1 left/);
    expectSyntaxError(() => new Reader(hex`00000002 00`).longstrBytes());
  });

  it('view returns bytes without copying', () => {
    const buf = hex`01 02 03`;
    const v = new Reader(buf).view(2, 'payload');
    buf[0] = 9;
    expect([...v]).toEqual([9, 2]);
  });

  it('decodeText keeps ASCII and UTF-8 and refuses the rest', () => {
    expect(decodeText(hex`61 62 e282ac`, 0, 5, 'x')).toBe('ab€');
    expect(decodeText(hex`00 7f`, 0, 2, 'x')).toBe('\u0000\u007f');
    // A leading U+FEFF is data, not a byte-order mark to drop.
    expect(decodeText(hex`efbbbf 61`, 0, 4, 'x')).toBe('\ufeffa');
    expectSyntaxError(() => decodeText(hex`80`, 0, 1, 'reply text'), /reply text is not valid UTF-8/);
  });
});
