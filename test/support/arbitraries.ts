/**
 * fast-check arbitraries for the wire layer: field values and tables, basic properties, method
 * arguments, frame traces and socket chunkings. Also the canonical forms the round-trip tests
 * compare with, since a decoded value is not always the JS value that was encoded (an int64 comes
 * back as a number when it fits, a Date loses its milliseconds, a typed `f` is rounded to float32).
 * @packageDocumentation
 */
import fc from 'fast-check';
import { FRAME_END, FrameType } from '../../src/frames/constants.js';
import { FrameParser } from '../../src/frames/parser.js';
import { TypedField, type Decimal, type FieldTable, type FieldValue } from '../../src/frames/field-table.js';
import type { BasicProperties } from '../../src/frames/properties.js';
import { Writer } from '../../src/frames/writer.js';
import { METHODS, type MethodDef } from '../../src/methods/definitions.js';
import { writeMethodPayload } from '../../src/methods/codec.js';

const INT8_MIN = -128;
const INT16_MIN = -32768;
const INT32_MIN = -2147483648;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Strings of any code point (no lone surrogates), up to `maxLength` code points. */
export function arbText(maxLength = 24): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.constant(''),
  );
}

/** A short string: at most 255 UTF-8 bytes (63 code points of up to 4 bytes each). */
export function arbShortstr(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: arbText(63) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(255), `${'é'.repeat(127)}x`, `${'😀'.repeat(63)}abc`) },
  );
}

/** Bytes, often not valid UTF-8. */
export function arbBytes(maxLength = 32): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength }),
    fc.constantFrom(Uint8Array.of(0xff), Uint8Array.of(0xc3), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0x61, 0x80)),
  );
}

/** Integers around every boundary of the b/s/I/l tag choice. */
export function arbInteger(): fc.Arbitrary<number> {
  const edges = [
    0, -1, 1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536,
    2147483647, 2147483648, -2147483648, -2147483649, 4294967295, 4294967296,
    Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
  ];
  return fc.oneof(
    fc.constantFrom(...edges),
    fc.integer({ min: INT8_MIN, max: 127 }),
    fc.integer({ min: INT16_MIN, max: 32767 }),
    fc.integer({ min: INT32_MIN, max: 2147483647 }),
    fc.maxSafeInteger(),
  );
}

/** Whole seconds a JS Date can hold (0 .. 8.64e12). */
const arbSeconds = fc.integer({ min: 0, max: 8_640_000_000_000 });

/** A value under an explicit tag, always within that tag's range. */
export function arbTypedScalar(): fc.Arbitrary<TypedField> {
  const t = (tag: TypedField['tag'], a: fc.Arbitrary<FieldValue | Decimal>): fc.Arbitrary<TypedField> =>
    a.map((v) => new TypedField(tag, v));
  return fc.oneof(
    t('t', fc.boolean()),
    t('b', fc.integer({ min: INT8_MIN, max: 127 })),
    t('B', fc.integer({ min: 0, max: 255 })),
    t('s', fc.integer({ min: INT16_MIN, max: 32767 })),
    t('u', fc.integer({ min: 0, max: 65535 })),
    t('I', fc.integer({ min: INT32_MIN, max: 2147483647 })),
    t('i', fc.integer({ min: 0, max: 0xffffffff })),
    t('l', fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }))),
    t('f', fc.oneof(fc.float(), fc.double({ min: -3e38, max: 3e38 }))),
    t('d', fc.double()),
    t('D', fc.record({ scale: fc.integer({ min: 0, max: 255 }), value: fc.integer({ min: 0, max: 0xffffffff }) })),
    t('S', fc.oneof(arbText(), arbBytes())),
    t('x', fc.oneof(arbBytes(), arbText())),
    t('T', fc.oneof(arbSeconds, fc.integer({ min: 8_640_000_000_001, max: Number.MAX_SAFE_INTEGER }))),
    t('V', fc.constant(null)),
  );
}

/** A leaf field value: every JS type the encoder maps to a tag, and every explicit tag. */
export function arbFieldLeaf(): fc.Arbitrary<FieldValue> {
  return fc.oneof(
    fc.boolean(),
    arbInteger(),
    fc.double(),
    fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
    arbText(),
    arbBytes(),
    fc.date({ min: new Date(0), max: new Date(8.64e15), noInvalidDate: true }),
    fc.constant(null),
    arbTypedScalar(),
  );
}

/** Options for {@link arbFieldValue} and {@link arbFieldTable}. */
export interface FieldArbOptions {
  /** Nesting levels of tables/arrays (default 3). */
  maxDepth?: number;
  /** Entries per table or array (default 6). */
  maxEntries?: number;
}

function fieldArbs(options: FieldArbOptions): { value: fc.Arbitrary<FieldValue>; table: fc.Arbitrary<FieldTable> } {
  const maxEntries = options.maxEntries ?? 6;
  const tree = fc.letrec<{ value: FieldValue; table: FieldTable; array: FieldValue[] }>((tie) => ({
    value: fc.oneof(
      { maxDepth: options.maxDepth ?? 3, depthIdentifier: 'field' },
      { weight: 6, arbitrary: arbFieldLeaf() },
      { weight: 1, arbitrary: tie('table') },
      { weight: 1, arbitrary: tie('array') },
      { weight: 1, arbitrary: tie('table').map((v) => new TypedField('F', v) as FieldValue) },
      { weight: 1, arbitrary: tie('array').map((v) => new TypedField('A', v) as FieldValue) },
    ),
    table: fc.dictionary(arbText(20), tie('value'), { maxKeys: maxEntries, depthIdentifier: 'field' }),
    array: fc.array(tie('value'), { maxLength: maxEntries, depthIdentifier: 'field' }),
  }));
  return { value: tree.value, table: tree.table };
}

/** Any field value, nested tables and arrays included. */
export function arbFieldValue(options: FieldArbOptions = {}): fc.Arbitrary<FieldValue> {
  return fieldArbs(options).value;
}

/** Any field table. */
export function arbFieldTable(options: FieldArbOptions = {}): fc.Arbitrary<FieldTable> {
  return fieldArbs(options).table;
}

/** Any set of the 14 basic properties (each may be absent; 0 and "" are common). */
export function arbBasicProperties(options: FieldArbOptions = { maxDepth: 2, maxEntries: 4 }): fc.Arbitrary<BasicProperties> {
  const s = fc.oneof(fc.constant(''), arbShortstr());
  const octet = fc.oneof(fc.constantFrom(0, 1, 2, 255), fc.integer({ min: 0, max: 255 }));
  return fc.record(
    {
      contentType: s, contentEncoding: s, headers: arbFieldTable(options), deliveryMode: octet, priority: octet,
      correlationId: s, replyTo: s, expiration: s, messageId: s,
      timestamp: fc.oneof(fc.constant(0), fc.maxSafeNat()),
      type: s, userId: s, appId: s, clusterId: s,
    },
    { requiredKeys: [] },
  );
}

function arbFieldOfType(type: string, options: FieldArbOptions): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bit': return fc.boolean();
    case 'octet': return fc.integer({ min: 0, max: 0xff });
    case 'short': return fc.integer({ min: 0, max: 0xffff });
    case 'long': return fc.integer({ min: 0, max: 0xffffffff });
    case 'longlong':
    case 'timestamp': return fc.oneof(fc.constant(0), fc.maxSafeNat());
    case 'shortstr': return arbShortstr();
    case 'longstr': return fc.oneof(arbText(), arbBytes());
    case 'table': return arbFieldTable(options);
    default: throw new Error(`no arbitrary for field type ${type}`);
  }
}

/** Arguments for `def`, every field given (defaults included), in range for its wire type. */
export function arbMethodArgs(def: MethodDef, options: FieldArbOptions = { maxDepth: 2, maxEntries: 4 }): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, type] of def.fields) shape[name] = arbFieldOfType(type, options);
  return fc.record(shape);
}

/** A method definition from the table with arguments for it. */
export function arbMethod(options?: FieldArbOptions): fc.Arbitrary<{ def: MethodDef; args: Record<string, unknown> }> {
  return fc.constantFrom(...(METHODS as readonly MethodDef[])).chain((def) => arbMethodArgs(def, options).map((args) => ({ def, args })));
}

/** One frame as the parser reports it. */
export interface FrameSpec {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Options for {@link arbFrameTrace}. */
export interface FrameTraceOptions {
  /** Frames per trace (default 12). */
  maxFrames?: number;
  /** Bytes of a raw payload (default 300). */
  maxPayload?: number;
}

const arbChannel = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 0xffff }));

/** A method frame payload encoded by the generic codec. */
function arbMethodFrame(): fc.Arbitrary<FrameSpec> {
  return fc.tuple(arbMethod({ maxDepth: 1, maxEntries: 3 }), arbChannel).map(([{ def, args }, channel]) => {
    const w = new Writer(256);
    writeMethodPayload(w, def, args);
    return { type: FrameType.METHOD, channel, payload: Buffer.from(w.flush()) };
  });
}

/**
 * A sequence of frames: heartbeats, real method frames, and method/header/body frames with
 * random payloads (the parser does not look inside them).
 */
export function arbFrameTrace(options: FrameTraceOptions = {}): fc.Arbitrary<FrameSpec[]> {
  const maxPayload = options.maxPayload ?? 300;
  const raw = fc.record({
    type: fc.constantFrom<number>(FrameType.METHOD, FrameType.HEADER, FrameType.BODY),
    channel: arbChannel,
    payload: fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 24 }) },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: maxPayload }) },
      { weight: 1, arbitrary: fc.constantFrom(Uint8Array.of(FRAME_END), Uint8Array.of(FRAME_END, FRAME_END, 8, 0)) },
    ).map((b) => Buffer.from(b)),
  });
  const heartbeat = fc.constant<FrameSpec>({ type: FrameType.HEARTBEAT, channel: 0, payload: Buffer.alloc(0) });
  const frame = fc.oneof({ weight: 4, arbitrary: raw }, { weight: 1, arbitrary: heartbeat }, { weight: 2, arbitrary: arbMethodFrame() });
  return fc.array(frame, { maxLength: options.maxFrames ?? 12 });
}

/** Frame the trace by hand (independent of Writer): type, channel, size, payload, 0xCE. */
export function encodeTrace(trace: readonly FrameSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of trace) {
    const head = Buffer.alloc(7);
    head[0] = f.type;
    head.writeUInt16BE(f.channel, 1);
    head.writeUInt32BE(f.payload.length, 3);
    parts.push(head, f.payload, Buffer.of(FRAME_END));
  }
  return Buffer.concat(parts);
}

/** Feed `chunks` to a FrameParser and return the frames it reports, payloads copied. */
export function parseFrames(chunks: Iterable<Buffer>, parser = new FrameParser()): FrameSpec[] {
  const frames: FrameSpec[] = [];
  const handler = {
    onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
      frames.push({ type, channel, payload: Buffer.from(buf.subarray(start, end)) });
    },
  };
  for (const chunk of chunks) parser.push(chunk, handler);
  return frames;
}

/** How a byte stream is cut into socket chunks. */
export interface Chunking {
  /** Chunk sizes, used in turn and repeated until the stream is used up. */
  sizes: number[];
  /** Hand the parser views into one larger buffer, at non-zero offsets, with junk in between. */
  pooled: boolean;
  /** Junk bytes before each chunk in the pool. */
  gap: number;
  /** Also hand the parser an empty chunk now and then. */
  empties: boolean;
}

/** Chunkings from 1-byte reads to whole-stream reads, often splitting 7-byte headers over 3+ reads. */
export function arbChunking(): fc.Arbitrary<Chunking> {
  const size = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 16 }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 512 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 65536 }) },
  );
  return fc.record({
    sizes: fc.oneof({ weight: 1, arbitrary: fc.constant<number[]>([1]) }, { weight: 6, arbitrary: fc.array(size, { minLength: 1, maxLength: 12 }) }),
    pooled: fc.boolean(),
    gap: fc.integer({ min: 1, max: 64 }),
    empties: fc.boolean(),
  });
}

/** Cut `bytes` into chunks as `plan` says. */
export function applyChunking(bytes: Uint8Array, plan: Chunking): Buffer[] {
  const cuts: Array<[number, number]> = [];
  for (let pos = 0, i = 0; pos < bytes.length; i++) {
    const n = Math.min(plan.sizes[i % plan.sizes.length]!, bytes.length - pos);
    cuts.push([pos, pos + n]);
    pos += n;
  }
  const chunks: Buffer[] = [];
  if (!plan.pooled) {
    for (const [a, b] of cuts) {
      if (plan.empties && chunks.length % 3 === 1) chunks.push(Buffer.alloc(0));
      chunks.push(Buffer.from(bytes.subarray(a, b)));
    }
    return chunks;
  }
  // One pool, frame-end and type octets as junk, so a read past a chunk's end shows up.
  const pool = Buffer.alloc(bytes.length + plan.gap * (cuts.length + 1), FRAME_END);
  for (let i = 0; i < pool.length; i += 7) pool[i] = FrameType.METHOD;
  let at = plan.gap;
  for (const [a, b] of cuts) {
    pool.set(bytes.subarray(a, b), at);
    if (plan.empties && chunks.length % 3 === 1) chunks.push(pool.subarray(at, at));
    chunks.push(pool.subarray(at, at + (b - a)));
    at += b - a + plan.gap;
  }
  return chunks;
}

/**
 * The canonical form of a decoded field value, for deep equality: integers as bigints (so 5 and
 * 5n compare equal), floats as numbers, strings and byte strings tagged apart, Dates as whole
 * seconds, tables as sorted key/value pairs.
 */
export function canonDecoded(v: FieldValue): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean': return v;
    case 'bigint': return { int: v };
    case 'number': return Number.isSafeInteger(v) ? { int: BigInt(v) } : { float: v };
    case 'string': return { str: v };
    default: break;
  }
  if (v instanceof TypedField) {
    if (v.tag !== 'D') return { [v.tag]: canonDecoded(v.value as FieldValue) };
    const d = v.value as Decimal;
    return { D: { scale: d.scale, value: d.value } };
  }
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (v instanceof Date) return { time: Math.floor(v.getTime() / 1000) };
  if (Array.isArray(v)) return v.map((x) => canonDecoded(x ?? null));
  return canonTable(v as FieldTable, canonDecoded);
}

function canonTable(t: FieldTable, each: (v: FieldValue) => unknown): unknown {
  const keys = Object.keys(t).filter((k) => t[k] !== undefined).sort();
  return { table: keys.map((k) => [k, each(t[k])]) };
}

function decodesAsUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** What `typed(tag, value)` decodes to, in canonical form. */
function expectedTyped(f: TypedField): unknown {
  const v = f.value;
  switch (f.tag) {
    case 't': return Boolean(v);
    case 'f': return canonDecoded(Math.fround(v as number));
    case 'd': return canonDecoded(v as number);
    case 'D': return canonDecoded(f);
    case 'S': {
      if (typeof v === 'string') return { str: v };
      const b = v as Uint8Array;
      return decodesAsUtf8(b) ? { str: new TextDecoder().decode(b) } : canonDecoded(b);
    }
    case 'x': return canonDecoded(typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array));
    case 'T': return (v as number) <= 8.64e12 ? { time: v } : { T: canonDecoded(v as number) };
    case 'A': return expectedDecoded(v as FieldValue[]);
    case 'F': return expectedDecoded(v as FieldTable);
    case 'V': return null;
    default: return canonDecoded(v as FieldValue);
  }
}

/**
 * The canonical form of what encoding `v` and decoding it again should give: `S` holding non-UTF-8
 * bytes comes back as bytes, `x` holding a string as its UTF-8 bytes, a typed `f` rounded to
 * float32, `undefined` table entries dropped and array items read as null.
 */
export function expectedDecoded(v: FieldValue): unknown {
  if (v instanceof TypedField) return expectedTyped(v);
  if (typeof v === 'string' || typeof v !== 'object' || v === null) return canonDecoded(v ?? null);
  if (v instanceof Uint8Array || v instanceof Date) return canonDecoded(v);
  if (Array.isArray(v)) return v.map((x) => expectedDecoded(x ?? null));
  return canonTable(v, expectedDecoded);
}
