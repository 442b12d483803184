/**
 * fast-check arbitraries for method arguments. Each yields an `{ input, expected }` pair: what goes
 * into the encoder, and what the decoder must give back (long strings come back as Buffers,
 * bigints within 2^53 as numbers, left-out arguments as their defaults, tables in canonical form).
 */
import fc from 'fast-check';
import type { FieldTable } from '../../../src/frames/field-table.js';
import type { MethodDef } from '../../../src/methods/definitions.js';
import type { FieldType } from '../../../src/methods/fields.js';
import { arbFieldTable, canonDecoded, expectedDecoded } from '../../support/arbitraries.js';

/** An encoder input and the value the decoder must return for it. */
export interface Sample<I = unknown> {
  input: I;
  expected: unknown;
}

const same = <T>(v: T): Sample<T> => ({ input: v, expected: v });

/** Cut `s` at a code point boundary so it is at most `max` UTF-8 bytes. */
export function capUtf8(s: string, max: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    bytes += n;
    out += ch;
  }
  return out;
}

/** Strings of exactly `bytes` UTF-8 bytes made of ASCII and one multibyte character. */
function exactBytes(bytes: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('é', '€', '😀', 'ß'), fc.nat({ max: 60 }))
    .map(([ch, k]) => {
      const w = Buffer.byteLength(ch, 'utf8');
      const count = Math.min(k, Math.floor(bytes / w));
      return ch.repeat(count) + 'a'.repeat(bytes - count * w);
    });
}

/**
 * Well-formed strings of at most `max` UTF-8 bytes: ASCII, Latin-1 (2-byte), any code point
 * (incl. 4-byte), graphemes, and strings of exactly `max` bytes.
 */
export function utf8String(max: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: max }), weight: 3 },
      { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: max }), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: Math.ceil(max / 3) }), weight: 2 },
      { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
      { arbitrary: exactBytes(max), weight: 1 },
    )
    .map((s) => capUtf8(s, max));
}

/** Short strings: 0..255 UTF-8 bytes. */
export const shortstr = utf8String(255);

/** Long strings: text or bytes in, a Buffer of the bytes out. */
export const longstr: fc.Arbitrary<Sample<string | Uint8Array>> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ input: b, expected: Buffer.from(b) })),
  utf8String(600).map((s) => ({ input: s, expected: Buffer.from(s, 'utf8') })),
);

/**
 * A table field's expected value: the canonical form from test/support/arbitraries.ts, because a
 * decoded table is not always the JS value that went in (5n comes back as 5, a Date loses its
 * milliseconds). Compare with {@link canonicalTable} of the decoded table.
 */
export interface CanonicalTable {
  canonicalTable: unknown;
}

/** The decoded side of {@link CanonicalTable}. */
export function canonicalTable(decoded: FieldTable): CanonicalTable {
  return { canonicalTable: canonDecoded(decoded) };
}

/** Field tables from the shared arbitraries, nested a few levels, every value type. */
export const fieldTable: fc.Arbitrary<Sample<FieldTable>> = arbFieldTable({ maxDepth: 3, maxEntries: 6 }).map((t) => ({
  input: t,
  expected: { canonicalTable: expectedDecoded(t) },
}));

/** An arbitrary for one field of the given wire type. */
export function fieldSample(type: FieldType): fc.Arbitrary<Sample> {
  switch (type) {
    case 'bit': return fc.boolean().map(same);
    case 'octet': return fc.integer({ min: 0, max: 0xff }).map(same);
    case 'short': return fc.integer({ min: 0, max: 0xffff }).map(same);
    case 'long': return fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 0xffffffff)).map(same);
    case 'longlong':
    case 'timestamp':
      return fc.oneof(
        fc.maxSafeInteger().filter((v) => v >= 0).map(same),
        fc.constantFrom(0, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER).map(same),
        fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }).map((b) => ({ input: b, expected: Number(b) })),
      );
    case 'shortstr': return shortstr.map(same);
    case 'longstr': return longstr;
    case 'table': return fieldTable;
  }
}

/** The decoded form of a field's default value. */
function decodedDefault(type: FieldType, value: unknown): unknown {
  if (type === 'longstr') return Buffer.from(value as string, 'utf8');
  if (type === 'table') return { canonicalTable: expectedDecoded(value as FieldTable) };
  return value;
}

/**
 * Random arguments for `def`: `input` for encodeMethod (fields with a default are sometimes left
 * out), `expected` for what decodeMethod must return.
 */
export function methodArgs(def: MethodDef): fc.Arbitrary<Sample<Record<string, unknown>>> {
  const parts = def.fields.map((field) => {
    const sample = fieldSample(field[1]);
    if (field.length !== 3) return sample.map((s) => ({ name: field[0], s, omit: false }));
    return fc.tuple(sample, fc.boolean()).map(([s, omit]) => ({ name: field[0], s, omit }));
  });
  return fc.tuple(...parts).map((fields) => {
    const input: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    def.fields.forEach((field, i) => {
      const f = fields[i]!;
      if (f.omit) {
        expected[f.name] = decodedDefault(field[1], field[2]);
      } else {
        input[f.name] = f.s.input;
        expected[f.name] = f.s.expected;
      }
    });
    return { input, expected };
  });
}
