import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/frames/errors.js';
import {
  MAX_FIELD_DEPTH, type TypedField, readArray, readTable, typed, writeArray, writeTable, type FieldTable, type FieldValue,
} from '../../../src/frames/field-table.js';
import { Reader } from '../../../src/frames/reader.js';
import { Writer } from '../../../src/frames/writer.js';
import { arbFieldTable, arbFieldValue, canonDecoded, expectedDecoded } from '../../support/arbitraries.js';
import { expectSyntaxError } from '../../support/expect-errors.js';
import { hex } from '../../support/hex.js';

function encode(table: FieldTable): Buffer {
  const w = new Writer(8);
  writeTable(w, table);
  return Buffer.from(w.flush());
}

function decode(buf: Buffer): FieldTable {
  const r = new Reader(buf);
  const t = readTable(r);
  expect(r.remaining).toBe(0);
  return t;
}

/** The bytes of a one-entry table `{ k: value }` after the key: tag and value. */
function entry(value: FieldValue): Buffer {
  return encode({ k: value }).subarray(4 + 2);
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

describe('field tables: every RabbitMQ tag', () => {
  const table: FieldTable = {
    t: typed('t', true),
    b: typed('b', -7),
    B: typed('B', 200),
    s: typed('s', -2),
    u: typed('u', 65535),
    I: typed('I', -100000),
    i: typed('i', 4000000000),
    l: typed('l', -(1n << 40n)),
    f: typed('f', 1.5),
    d: typed('d', 0.1),
    D: typed('D', { scale: 2, value: 12345 }),
    S: typed('S', 'hé'),
    x: typed('x', Uint8Array.of(0, 0xff)),
    A: typed('A', [1, 'a']),
    T: typed('T', 1700000000),
    F: typed('F', { n: null }),
    V: typed('V', null),
  };
  const wire = hex`
    00000083                                   # table length 131
    01 74  74 01                               # t: bool true
    01 62  62 f9                               # b: int8 -7
    01 42  42 c8                               # B: uint8 200
    01 73  73 fffe                             # s: int16 -2 (not a short string)
    01 75  75 ffff                             # u: uint16 65535
    01 49  49 fffe7960                         # I: int32 -100000
    01 69  69 ee6b2800                         # i: uint32 4e9
    01 6c  6c ffffff0000000000                 # l: int64 -2^40
    01 66  66 3fc00000                         # f: float32 1.5
    01 64  64 3fb999999999999a                 # d: float64 0.1
    01 44  44 02 00003039                      # D: scale 2, value 12345
    01 53  53 00000003 68c3a9                  # S: long string "hé"
    01 78  78 00000002 00ff                    # x: byte array
    01 41  41 00000008  62 01  53 00000001 61  # A: [int8 1, "a"]
    01 54  54 000000006553f100                 # T: 1700000000 s
    01 46  46 00000003  01 6e 56               # F: { n: void }
    01 56  56                                  # V: void
  `;

  it('encodes each tag as RabbitMQ reads it', () => {
    expect(encode(table)).toEqual(wire);
  });

  it('decodes each tag back', () => {
    const t = decode(wire);
    expect(t).toEqual({
      t: true, b: -7, B: 200, s: -2, u: 65535, I: -100000, i: 4000000000, l: -(2 ** 40), f: 1.5, d: 0.1,
      D: typed('D', { scale: 2, value: 12345 }), S: 'hé', x: Buffer.of(0, 0xff), A: [1, 'a'],
      T: new Date(1700000000 * 1000), F: { n: null }, V: null,
    });
    expect(Object.keys(t)).toEqual(Object.keys(table));
  });
});

describe('field tables: tags chosen from JS types', () => {
  const cases: Array<[FieldValue, string]> = [
    [0, '62 00'], [127, '62 7f'], [-128, '62 80'],
    [128, '73 0080'], [-129, '73 ff7f'], [255, '73 00ff'], [32767, '73 7fff'], [-32768, '73 8000'],
    [32768, '49 00008000'], [-32769, '49 ffff7fff'], [65535, '49 0000ffff'],
    [2147483647, '49 7fffffff'], [-2147483648, '49 80000000'],
    [2147483648, '6c 0000000080000000'], [-2147483649, '6c ffffffff7fffffff'], [4294967295, '6c 00000000ffffffff'],
    [Number.MAX_SAFE_INTEGER, '6c 001fffffffffffff'], [Number.MIN_SAFE_INTEGER, '6c ffe0000000000001'],
    [2 ** 53, '64 4340000000000000'], [1.5, '64 3ff8000000000000'], [-0.5, '64 bfe0000000000000'],
    [1n, '6c 0000000000000001'], [-(1n << 63n), '6c 8000000000000000'],
    [true, '74 01'], [false, '74 00'],
    ['', '53 00000000'], ['é', '53 00000002 c3a9'],
    [Uint8Array.of(1), '78 00000001 01'], [Buffer.of(0xff, 0xfe), '78 00000002 fffe'],
    [new Date(1999), '54 0000000000000001'],
    [null, '56'], [[], '41 00000000'], [{}, '46 00000000'],
  ];
  for (const [value, bytes] of cases) {
    const name = typeof value === 'bigint' ? `${value}n` : value instanceof Date ? 'Date(1999ms)' : JSON.stringify(value);
    it(`${name} -> ${bytes}`, () => {
      expect(entry(value)).toEqual(hex`${bytes}`);
    });
  }

  it('uses d, never f, for fractions, NaN and infinities', () => {
    for (const v of [0.1, Number.NaN, Infinity, -Infinity, 1e300]) expect(entry(v)[0]).toBe(0x64);
    expect(decode(encode({ n: Number.NaN })).n).toBeNaN();
  });

  it('leaves out undefined entries and writes undefined array items as void', () => {
    expect(decode(encode({ a: undefined, b: 1 }))).toEqual({ b: 1 });
    expect(decode(encode({ a: [undefined, 2] }))).toEqual({ a: [null, 2] });
  });

  it('writes only own properties', () => {
    const proto = { inherited: 1 };
    const t = Object.create(proto) as FieldTable;
    t.own = 2;
    expect(decode(encode(t))).toEqual({ own: 2 });
  });

  it('refuses values a table cannot hold', () => {
    for (const bad of [() => 1, Symbol('s')] as unknown as FieldValue[]) {
      expect(() => encode({ k: bad })).toThrow(EncodeError);
    }
    expect(() => encode({ fn: (() => 1) as unknown as FieldValue })).toThrow(/field 'fn': a function cannot go in a field table/);
  });

  it('refuses a key over 255 bytes', () => {
    expect(() => encode({ ['k'.repeat(256)]: 1 })).toThrow(EncodeError);
    expect(decode(encode({ ['k'.repeat(255)]: 1 }))).toEqual({ ['k'.repeat(255)]: 1 });
  });
});

describe('field tables: decoding', () => {
  it('returns long strings that are not UTF-8 as Buffers', () => {
    const t = decode(hex`
      00000010
      01 61  53 00000002 c328   # a: not UTF-8
      01 62  53 00000000        # b: empty
    `);
    expect(t.a).toEqual(Buffer.of(0xc3, 0x28));
    expect(Buffer.isBuffer(t.a)).toBe(true);
    expect(t.b).toBe('');
    expect(decode(encode({ k: typed('S', Uint8Array.of(0xff)) }))).toEqual({ k: Buffer.of(0xff) });
    expect(decode(encode({ k: typed('S', Buffer.from('ok')) }))).toEqual({ k: 'ok' });
  });

  it('returns int64 beyond 2^53 as a bigint and within it as a number', () => {
    expect(decode(encode({ a: 1n << 60n, b: 5n }))).toEqual({ a: 1n << 60n, b: 5 });
  });

  it('writes and reads int64 numbers across the 32-bit halves, both signs, as BigInt does', () => {
    const edges = [2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 31) - 1, -(2 ** 32), -(2 ** 32) - 1, 2 ** 52 + 3, -(2 ** 52) - 3,
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (const v of edges) {
      const bytes = encode({ v });
      const want = Buffer.alloc(8);
      want.writeBigInt64BE(BigInt(v));
      expect(bytes.subarray(bytes.length - 8)).toEqual(want);
      expect(decode(bytes)).toEqual({ v });
    }
    // Just beyond the safe range on either side: exact, as a bigint.
    expect(decode(encode({ a: (1n << 53n), b: -(1n << 53n) }))).toEqual({ a: 1n << 53n, b: -(1n << 53n) });
  });

  it('keeps a timestamp beyond what a Date holds under its tag', () => {
    const t = decode(encode({ late: typed('T', 9e12) }));
    expect(t.late).toEqual(typed('T', 9e12));
    expectSyntaxError(() => decode(hex`0000000b 01 74 54 0020000000000000`), /timestamp .* exceeds 2\^53-1/);
  });

  it('reads nested tables and arrays', () => {
    const v = { a: [1, [2, { b: [] }], { c: { d: 'e' } }], f: {} };
    expect(decode(encode(v))).toEqual(v);
  });

  it('lets the last of two equal keys win', () => {
    expect(decode(hex`00000008  01 6b 62 01  01 6b 62 02`)).toEqual({ k: 2 });
  });

  it('keeps a "__proto__" key as a plain property and leaves the prototype alone', () => {
    const t = decode(hex`0000000f  09 5f5f70726f746f5f5f  46 00000000`);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    expect(Object.keys(t)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const back = decode(encode(t));
    expect(Object.keys(back)).toEqual(['__proto__']);
  });

  it('turns lies and junk into 502s', () => {
    expectSyntaxError(() => decode(hex`00000005 01 6b 5a 00 00`), /unknown field type 0x5a/); // 'Z'
    expectSyntaxError(() => decode(hex`00000010 01 6b 62 01`), /truncated field table/);
    expectSyntaxError(() => decode(hex`00000003 01 6b 49 00000001`)); // entry runs past the table's end
    expectSyntaxError(() => decode(hex`00000007 01 6b 41 ffffffff`), /truncated field array/);
    expectSyntaxError(() => decode(hex`00000007 01 6b 53 7fffffff`), /truncated long string/);
    expectSyntaxError(() => decode(hex`00000002 03 6b`), /truncated short string/); // key longer than the table
    expectSyntaxError(() => decode(hex`00000003 01 ff 56`), /not valid UTF-8/); // key not UTF-8
    expectSyntaxError(() => readTable(new Reader(hex`0000`)), /truncated long/);
  });

  it('stops reading at the table end and leaves the reader after it', () => {
    const r = new Reader(hex`00000003 01 6b 56  ab`);
    expect(readTable(r)).toEqual({ k: null });
    expect(r.u8()).toBe(0xab);
    const a = new Reader(hex`00000002 56 56 cd`);
    expect(readArray(a)).toEqual([null, null]);
    expect(a.u8()).toBe(0xcd);
  });
});

describe('field tables: typed values out of range', () => {
  const bad: Array<[TypedField, RegExp]> = [
    [typed('b', 128), /does not fit type 'b'/], [typed('b', -129), /'b'/], [typed('b', 1.5), /'b'/],
    [typed('B', -1), /'B'/], [typed('B', 256), /'B'/],
    [typed('s', 32768), /'s'/], [typed('s', -32769), /'s'/],
    [typed('u', -1), /'u'/], [typed('u', 65536), /'u'/],
    [typed('I', 2 ** 31), /'I'/], [typed('I', -(2 ** 31) - 1), /'I'/],
    [typed('i', -1), /'i'/], [typed('i', 2 ** 32), /'i'/], [typed('i', '1'), /'i'/],
    [typed('l', 1n << 63n), /int64/], [typed('l', -(1n << 63n) - 1n), /int64/], [typed('l', 2 ** 53), /'l'/],
    [typed('l', 0.5), /'l'/],
    [typed('f', 'x'), /type 'f' needs a number/], [typed('d', 1n), /type 'd' needs a number/],
    [typed('f', 1e39), /float32/],
    [typed('D', { scale: 256, value: 1 }), /D scale/], [typed('D', { scale: 0, value: -1 }), /D value/],
    [typed('D', { scale: 0, value: 2 ** 32 }), /D value/], [typed('D', null), /needs \{ scale, value \}/],
    [typed('S', 5), /type 'S' needs a string or Uint8Array/], [typed('x', null), /type 'x'/],
    [typed('T', -1), /type 'T'/], [typed('T', 1.5), /type 'T'/], [typed('T', new Date(Number.NaN)), /type 'T'/],
    [typed('T', new Date(-1000)), /type 'T'/], [typed('T', 'now'), /type 'T'/],
    [typed('A', { 0: 1 }), /type 'A' needs an array/], [typed('F', null), /type 'F' needs an object/],
    [typed('Z' as never, 1), /unknown field type 'Z'/],
  ];
  for (const [value, message] of bad) {
    it(`typed('${value.tag}', ${describeValue(value.value)}) is an EncodeError`, () => {
      expect(() => encode({ k: value })).toThrow(EncodeError);
      expect(() => encode({ k: value })).toThrow(message);
    });
  }

  it('accepts each range exactly at its ends', () => {
    const ok = {
      b1: typed('b', -128), b2: typed('b', 127), B1: typed('B', 0), B2: typed('B', 255),
      s1: typed('s', -32768), s2: typed('s', 32767), u1: typed('u', 0), u2: typed('u', 65535),
      I1: typed('I', -(2 ** 31)), I2: typed('I', 2 ** 31 - 1), i1: typed('i', 0), i2: typed('i', 2 ** 32 - 1),
      l1: typed('l', -(1n << 63n)), l2: typed('l', (1n << 63n) - 1n), f: typed('f', 3.4028234663852886e38),
      D: typed('D', { scale: 255, value: 2 ** 32 - 1 }), T: typed('T', 0),
    };
    expect(canonDecoded(decode(encode(ok)))).toEqual(expectedDecoded(ok));
  });
});

describe('field tables: nesting depth', () => {
  function nestTables(levels: number): FieldTable {
    let t: FieldTable = {};
    for (let i = 1; i < levels; i++) t = { n: t };
    return t;
  }

  it(`encodes and decodes ${MAX_FIELD_DEPTH + 1} levels, refuses one more both ways`, () => {
    const deepest = nestTables(MAX_FIELD_DEPTH + 1);
    expect(decode(encode(deepest))).toEqual(deepest);
    expect(() => encode(nestTables(MAX_FIELD_DEPTH + 2))).toThrow(EncodeError);
    expect(() => encode(nestTables(MAX_FIELD_DEPTH + 2))).toThrow(/nested deeper than 64/);
    // Hand-build one level more than the limit.
    const inner = encode(deepest);
    const over = Buffer.concat([hex`00000000 01 6e 46`, inner]);
    over.writeUInt32BE(over.length - 4, 0);
    expectSyntaxError(() => decode(over), /nested deeper than 64/);
  });

  it('counts arrays and tables alike', () => {
    const nest = (wraps: number): FieldTable => {
      let v: FieldValue = [];
      for (let i = 0; i < wraps; i++) v = i % 2 ? [v] : { a: v };
      return { v };
    };
    expect(decode(encode(nest(MAX_FIELD_DEPTH - 1)))).toEqual(nest(MAX_FIELD_DEPTH - 1));
    expect(() => encode(nest(MAX_FIELD_DEPTH))).toThrow(EncodeError);
  });

  it('refuses a table that contains itself', () => {
    const t: FieldTable = { a: 1 };
    t.self = t;
    expect(() => encode(t)).toThrow(EncodeError);
    const a: FieldValue[] = [];
    a.push(a);
    expect(() => encode({ a })).toThrow(EncodeError);
  });

  it('refuses 100,000 nested arrays on the wire with a 502, not a stack overflow', () => {
    const levels = 100_000;
    const buf = Buffer.alloc(4 + 3 + levels * 5 - 1);
    let at = 0;
    buf.writeUInt32BE(buf.length - 4, at); at += 4;
    buf[at++] = 1; buf[at++] = 0x61; buf[at++] = 0x41; // key "a", tag A
    for (let i = 0; i < levels; i++) {
      buf.writeUInt32BE(buf.length - at - 4, at);
      at += 4;
      if (i < levels - 1) buf[at++] = 0x41;
    }
    expectSyntaxError(() => readTable(new Reader(buf)), /nested deeper than 64/);
  });
});

describe('field tables: round trip', () => {
  it('decodes what it encodes, for 2,000 random tables', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(arbFieldTable({ maxDepth: 3, maxEntries: 6 }), (table) => {
        expect(canonDecoded(decode(encode(table)))).toEqual(expectedDecoded(table));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes arrays of any value', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.array(arbFieldValue({ maxDepth: 2 }), { maxLength: 8 }), (items) => {
        const w = new Writer(8);
        writeArray(w, items);
        const r = new Reader(Buffer.from(w.flush()));
        expect(canonDecoded(readArray(r))).toEqual(expectedDecoded(items));
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes a decoded table to the same bytes', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(arbFieldTable({ maxDepth: 3 }), (table) => {
        const once = encode(table);
        const again = encode(decode(once));
        // Decoding may widen a tag (B -> s, f -> d), so compare decoded forms, not bytes.
        expect(canonDecoded(decode(again))).toEqual(canonDecoded(decode(once)));
      }),
      { numRuns: 500 },
    );
  });
});
