/**
 * Field tables and arrays, with RabbitMQ's type letters.
 *
 * The 0-9-1 spec and RabbitMQ disagree on several letters; every broker and client in use follows
 * RabbitMQ, so we do too. The one that bites: `s` is a signed 16-bit integer, not a short string.
 *
 *   t bool   b int8   B uint8   s int16   u uint16   I int32   i uint32   l int64
 *   f float32   d float64   D decimal (scale octet + uint32)   S long string   x byte array
 *   A array   T timestamp (uint64 seconds)   F nested table   V void
 *
 * Encoding picks a letter from the JS type: integers take the smallest signed tag that holds
 * them (b, s, I, l), other numbers `d`, bigint `l`, strings `S`, Uint8Array `x`, Date `T`,
 * null `V`. `typed(tag, value)` forces a letter. Nothing is wrapped, truncated or narrowed.
 * @packageDocumentation
 */
import { EncodeError, syntaxError } from './errors.js';
import type { Reader } from './reader.js';
import { cachedText, readShortText } from './text-cache.js';
import type { Writer } from './writer.js';

/** RabbitMQ's field-value type letters. */
export type FieldTag =
  | 't' | 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'f' | 'd' | 'D' | 'S' | 'x' | 'A' | 'T' | 'F' | 'V';

/** A decimal: `value / 10^scale`, as the wire carries it. */
export interface Decimal {
  readonly scale: number;
  readonly value: number;
}

/** A value with its wire type chosen explicitly; decimals decode to this too. */
export class TypedField {
  /** The type letter written on the wire. */
  readonly tag: FieldTag;
  /** The value, checked against the tag's range when encoded. */
  readonly value: FieldValue | Decimal;
  constructor(tag: FieldTag, value: FieldValue | Decimal) {
    this.tag = tag;
    this.value = value;
  }
}

/**
 * Force a field value's wire type, e.g. `typed('f', 1.5)` for a float32 or `typed('i', 4e9)`
 * for a uint32. Decimals: `typed('D', { scale: 2, value: 12345 })`.
 */
export function typed(tag: FieldTag, value: FieldValue | Decimal): TypedField {
  return new TypedField(tag, value);
}

/** Anything a field table or array may hold. */
export type FieldValue =
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Date
  | null
  | undefined
  | TypedField
  | FieldValue[]
  | FieldTable;

/** A field table: string keys (short strings) to values. `undefined` entries are left out. */
export interface FieldTable {
  [key: string]: FieldValue;
}

/** Nesting deeper than this is refused both ways (stack safety against hostile input). */
export const MAX_FIELD_DEPTH = 64;

/** The last second a JS Date can represent. */
const MAX_DATE_SECONDS = 8.64e12;

const INT8 = [-128, 127] as const;
const INT16 = [-32768, 32767] as const;
const INT32 = [-2147483648, 2147483647] as const;

/** Write a table: uint32 byte length, then (shortstr key, tag, value) entries. */
export function writeTable(w: Writer, table: FieldTable, depth = 0): void {
  if (depth > MAX_FIELD_DEPTH) throw new EncodeError(`field table nested deeper than ${MAX_FIELD_DEPTH}`);
  const lenAt = w.pos;
  w.u32(0);
  // Own enumerable keys only; Object.keys is cheaper than for-in plus a hasOwnProperty call each.
  const keys = Object.keys(table);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = table[key];
    if (value === undefined) continue;
    w.shortstr(key, `field table key '${key.slice(0, 32)}'`);
    writeValue(w, value, depth, key);
  }
  w.buf.writeUInt32BE(w.pos - lenAt - 4, lenAt);
}

/** Write an array: uint32 byte length, then (tag, value) items. */
export function writeArray(w: Writer, items: readonly FieldValue[], depth = 0): void {
  if (depth > MAX_FIELD_DEPTH) throw new EncodeError(`field array nested deeper than ${MAX_FIELD_DEPTH}`);
  const lenAt = w.pos;
  w.u32(0);
  for (let i = 0; i < items.length; i++) writeValue(w, items[i] ?? null, depth, `[${i}]`);
  w.buf.writeUInt32BE(w.pos - lenAt - 4, lenAt);
}

/** Write one tagged value, choosing the tag from the JS type. */
function writeValue(w: Writer, v: FieldValue, depth: number, key: string): void {
  switch (typeof v) {
    case 'boolean':
      w.u8(0x74); // t
      w.u8(v ? 1 : 0);
      return;
    case 'number':
      writeNumber(w, v);
      return;
    case 'bigint':
      writeTagged(w, 'l', v, depth, key);
      return;
    case 'string':
      w.u8(0x53); // S
      w.longstr(v);
      return;
    case 'object':
      if (v === null) return w.u8(0x56); // V
      if (v instanceof TypedField) return writeTagged(w, v.tag, v.value, depth, key);
      if (v instanceof Uint8Array) {
        w.u8(0x78); // x
        w.longstr(v);
        return;
      }
      if (v instanceof Date) return writeTagged(w, 'T', v, depth, key);
      if (Array.isArray(v)) {
        w.u8(0x41); // A
        writeArray(w, v, depth + 1);
        return;
      }
      w.u8(0x46); // F
      writeTable(w, v as FieldTable, depth + 1);
      return;
    default:
      throw new EncodeError(`field '${key}': a ${typeof v} cannot go in a field table`);
  }
}

function writeNumber(w: Writer, v: number): void {
  if (Number.isInteger(v)) {
    if (v >= INT8[0] && v <= INT8[1]) {
      w.u8(0x62); // b
      w.i8(v);
      return;
    }
    if (v >= INT16[0] && v <= INT16[1]) {
      w.u8(0x73); // s
      w.i16(v);
      return;
    }
    if (v >= INT32[0] && v <= INT32[1]) {
      w.u8(0x49); // I
      w.i32(v);
      return;
    }
    if (Number.isSafeInteger(v)) {
      w.u8(0x6c); // l, as two 32-bit halves (v = hi * 2^32 + lo with lo unsigned): no BigInt
      const hi = Math.floor(v / 0x100000000);
      w.i32(hi);
      w.u32(v - hi * 0x100000000);
      return;
    }
  }
  // Non-integers, and integers beyond 2^53 (already inexact as numbers), go as float64.
  w.u8(0x64); // d
  w.f64(v);
}

function intIn(v: unknown, lo: number, hi: number, tag: string, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new EncodeError(`field '${key}': ${String(v)} does not fit type '${tag}' (${lo}..${hi})`);
  }
  return v;
}

/** Write a value under an explicit tag, checking that it fits. */
function writeTagged(w: Writer, tag: FieldTag, v: unknown, depth: number, key: string): void {
  w.u8(tag.charCodeAt(0));
  switch (tag) {
    case 't': return w.u8(v ? 1 : 0);
    case 'b': return w.i8(intIn(v, -128, 127, tag, key));
    case 'B': return w.u8(intIn(v, 0, 255, tag, key));
    case 's': return w.i16(intIn(v, -32768, 32767, tag, key));
    case 'u': return w.u16(intIn(v, 0, 65535, tag, key));
    case 'I': return w.i32(intIn(v, INT32[0], INT32[1], tag, key));
    case 'i': return w.u32(intIn(v, 0, 0xffffffff, tag, key));
    case 'l':
      if (typeof v === 'bigint') return w.i64(v);
      return w.i64(intIn(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, tag, key));
    case 'f':
    case 'd':
      if (typeof v !== 'number') throw new EncodeError(`field '${key}': type '${tag}' needs a number`);
      if (tag === 'd') return w.f64(v);
      // Rounding to float32 is what 'f' asks for; overflowing to Infinity is not.
      if (Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
        throw new EncodeError(`field '${key}': ${v} is outside the float32 range`);
      }
      return w.f32(v);
    case 'D': {
      const d = v as Decimal | null;
      if (d === null || typeof d !== 'object') throw new EncodeError(`field '${key}': type 'D' needs { scale, value }`);
      w.u8(intIn(d.scale, 0, 255, 'D scale', key));
      return w.u32(intIn(d.value, 0, 0xffffffff, 'D value', key));
    }
    case 'S':
    case 'x':
      if (typeof v !== 'string' && !(v instanceof Uint8Array)) {
        throw new EncodeError(`field '${key}': type '${tag}' needs a string or Uint8Array`);
      }
      return w.longstr(v);
    case 'T': {
      const secs = v instanceof Date ? Math.floor(v.getTime() / 1000) : v;
      if (typeof secs !== 'number' || !Number.isSafeInteger(secs) || secs < 0) {
        throw new EncodeError(`field '${key}': type 'T' needs a Date or whole seconds >= 0`);
      }
      return w.u64(secs);
    }
    case 'A':
      if (!Array.isArray(v)) throw new EncodeError(`field '${key}': type 'A' needs an array`);
      return writeArray(w, v as FieldValue[], depth + 1);
    case 'F':
      if (v === null || typeof v !== 'object') throw new EncodeError(`field '${key}': type 'F' needs an object`);
      return writeTable(w, v as FieldTable, depth + 1);
    case 'V':
      return;
    default:
      throw new EncodeError(`field '${key}': unknown field type '${String(tag)}'`);
  }
}

/** Read a table (uint32 length + entries). Keys are short strings; duplicate keys: last wins. */
export function readTable(r: Reader, depth = 0): FieldTable {
  if (depth > MAX_FIELD_DEPTH) throw syntaxError(`field table nested deeper than ${MAX_FIELD_DEPTH}`);
  const len = r.u32();
  r.need(len, 'field table');
  const end = r.pos + len;
  const outerEnd = r.end;
  r.end = end;
  const table: FieldTable = {};
  try {
    while (r.pos < end) {
      const key = readShortText(r);
      const value = readValue(r, depth);
      // A hostile "__proto__" key must stay a plain own property.
      if (key === '__proto__') Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
      else table[key] = value;
    }
  } finally {
    r.end = outerEnd;
  }
  return table;
}

/** Read an array (uint32 length + tagged items). */
export function readArray(r: Reader, depth = 0): FieldValue[] {
  if (depth > MAX_FIELD_DEPTH) throw syntaxError(`field array nested deeper than ${MAX_FIELD_DEPTH}`);
  const len = r.u32();
  r.need(len, 'field array');
  const end = r.pos + len;
  const outerEnd = r.end;
  r.end = end;
  const items: FieldValue[] = [];
  try {
    while (r.pos < end) items.push(readValue(r, depth));
  } finally {
    r.end = outerEnd;
  }
  return items;
}

/**
 * Read one tagged value. Integers come back as numbers (int64 beyond 2^53 as bigint), `T` as a
 * Date, `D` as `typed('D', { scale, value })`, `S` as a string when it is valid UTF-8 and a Buffer
 * otherwise, `x` as a Buffer, `V` as null.
 */
function readValue(r: Reader, depth: number): FieldValue {
  const tag = r.u8();
  switch (tag) {
    case 0x74: return r.u8() !== 0; // t
    case 0x62: return r.i8(); // b
    case 0x42: return r.u8(); // B
    case 0x73: return r.i16(); // s
    case 0x75: return r.u16(); // u
    case 0x49: return r.i32(); // I
    case 0x69: return r.u32(); // i
    case 0x6c: { // l: two 32-bit halves; a BigInt only when the value is beyond 2^53
      const hi = r.i32();
      const lo = r.u32();
      if (hi >= -0x200000 && hi < 0x200000) {
        const v = hi * 0x100000000 + lo;
        if (Number.isSafeInteger(v)) return v;
      }
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    case 0x66: return r.f32(); // f
    case 0x64: return r.f64(); // d
    case 0x44: { // D
      const scale = r.u8();
      return new TypedField('D', { scale, value: r.u32() });
    }
    case 0x53: { // S: RabbitMQ's long string is bytes and need not be UTF-8
      const len = r.u32();
      r.need(len, 'long string');
      const start = r.pos;
      r.pos += len;
      return cachedText(r.buf, start, r.pos) ?? Buffer.from(r.buf.subarray(start, r.pos));
    }
    case 0x78: return r.longstrBytes(); // x
    case 0x41: return readArray(r, depth + 1); // A
    case 0x54: { // T: seconds; beyond what a Date holds, keep the exact number under its tag
      const secs = r.u64('timestamp');
      return secs <= MAX_DATE_SECONDS ? new Date(secs * 1000) : new TypedField('T', secs);
    }
    case 0x46: return readTable(r, depth + 1); // F
    case 0x56: return null; // V
    default:
      throw syntaxError(`unknown field type 0x${tag.toString(16).padStart(2, '0')} in field table`);
  }
}
