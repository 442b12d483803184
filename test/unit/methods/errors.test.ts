/**
 * Typed errors of the method codec. Encoding: a bad argument is an EncodeError naming the method
 * and argument, and the writer is left exactly as it was. Decoding: every malformed payload is a
 * FrameError with the reply code a peer would close with, never a RangeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodeError, FrameError } from '../../../src/frames/errors.js';
import { typed, type FieldTable } from '../../../src/frames/field-table.js';
import { Writer } from '../../../src/frames/writer.js';
import { decodeMethod, METHOD_BY_NAME } from '../../../src/methods/codec.js';
import { METHODS, type MethodDef } from '../../../src/methods/definitions.js';
import { decodeBasicDeliver, encodeBasicPublish } from '../../../src/methods/fast-path.js';
import { expectFrameError, expectThrown } from '../../support/expect-errors.js';
import { encodeByName, methodFrame, onlyFrame } from './frame-helpers.js';
import { methodArgs } from './method-arbitraries.js';

const table: readonly MethodDef[] = METHODS;

/** Run `encode` against a writer that already holds bytes; it must throw and leave them untouched. */
function expectEncodeError(encode: (w: Writer) => void, message?: RegExp, label = 'encode'): EncodeError {
  const w = new Writer(8);
  const before = Buffer.from('already-queued frame bytes');
  w.bytes(before);
  const caught = expectThrown(() => encode(w), EncodeError, `${label}: an EncodeError`);
  if (message) expect(caught.message, label).toMatch(message);
  expect(w.pos, `${label}: writer position`).toBe(before.length);
  expect(Buffer.from(w.buf.subarray(0, w.pos))).toEqual(before);
  // The writer still works after the failure.
  encodeByName(w, 1, 'basic.qos-ok', {});
  expect(w.pos).toBe(before.length + 12);
  return caught;
}

const valid = { queue: 'q', passive: false, durable: true, exclusive: false, autoDelete: false };
const declare = (patch: Record<string, unknown>) => (w: Writer) => encodeByName(w, 1, 'queue.declare', { ...valid, ...patch });

describe('encode errors', () => {
  it('missing argument: every required field of every method', () => {
    for (const def of table) {
      const input = fc.sample(methodArgs(def), { numRuns: 1, seed: 42 })[0]!.input;
      for (const field of def.fields) {
        if (field.length === 3) continue;
        const { [field[0]]: _dropped, ...rest } = input;
        expectEncodeError(
          (w) => encodeByName(w, 1, def.name, rest),
          new RegExp(`^${def.name.replace('.', '\\.')}: missing argument ${field[0]}$`),
          `${def.name} without ${field[0]}`,
        );
      }
    }
  });

  it('shortstr over 255 UTF-8 bytes, never truncated', () => {
    expectEncodeError(declare({ queue: 'a'.repeat(256) }), /queue\.declare: queue is 256 UTF-8 bytes/);
    expectEncodeError(declare({ queue: 'é'.repeat(128) }), /256 UTF-8 bytes/);
    expectEncodeError(declare({ queue: `${'a'.repeat(254)}😀` }), /258 UTF-8 bytes/);
    // UTF-8 cannot carry a lone surrogate: refused, not replaced with U+FFFD.
    expectEncodeError(declare({ queue: 'a\ud800' }), /queue\.declare: queue .*surrogate/);
    expectEncodeError((w) => encodeBasicPublish(w, 1, '\udc00', 'rk', false), /surrogate/);
    // 255 bytes exactly is fine.
    const f = onlyFrame(methodFrame(1, 'queue.declare', { ...valid, queue: `${'€'.repeat(85)}` }));
    expect(decodeMethod(f.buf, f.start, f.end).args).toMatchObject({ queue: '€'.repeat(85) });
  });

  it.each([-1, 65536, 1.5, Number.NaN, Infinity, '1', null, 1n])('short out of range or not an integer: %s', (v) => {
    expectEncodeError((w) => encodeByName(w, 1, 'basic.qos', { prefetchSize: 0, prefetchCount: v, global: false }),
      /basic\.qos: prefetchCount must be an integer 0\.\.65535/);
  });

  it.each([-1, 256, 0.5])('octet out of range: %s', (v) => {
    expectEncodeError((w) => encodeByName(w, 0, 'connection.start', {
      versionMajor: v, versionMinor: 9, serverProperties: {}, mechanisms: 'PLAIN', locales: 'en_US',
    }), /versionMajor must be an integer 0\.\.255/);
  });

  it.each([-1, 2 ** 32, 2.5])('long out of range: %s', (v) => {
    expectEncodeError((w) => encodeByName(w, 1, 'basic.qos', { prefetchSize: v, prefetchCount: 0, global: false }),
      /prefetchSize must be an integer 0\.\.4294967295/);
  });

  it.each([-1, 2 ** 53, 1.5, -1n, 1n << 64n])('longlong out of range: %s', (v) => {
    expectEncodeError((w) => encodeByName(w, 1, 'basic.ack', { deliveryTag: v, multiple: false }));
  });

  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['a string', 'x-max-length=10'],
    ['a number', 5],
  ])('table argument that is %s', (_label, v) => {
    expectEncodeError(declare({ arguments: v }), /queue\.declare: arguments must be a field table/);
  });

  const circular: FieldTable = { a: 1 };
  circular['self'] = circular;
  it.each([
    ['a function value', { f: () => 1 }],
    ['a symbol value', { s: Symbol('x') }],
    ['a key over 255 bytes', { ['k'.repeat(256)]: 1 }],
    ['a value that does not fit its forced tag', { n: typed('b', 300) }],
    ['an unknown forced tag', { n: typed('Z' as 'b', 1) }],
    ['a table that contains itself', circular],
    ['a bad value deep inside', { a: { b: [1, { c: () => 0 }] } }],
  ])('field table with %s', (_label, t) => {
    expectEncodeError(declare({ arguments: t as FieldTable }));
  });

  it.each([
    ['a number for a shortstr', 'queue', 5, /queue must be a string/],
    ['an object for a shortstr', 'queue', {}, /queue must be a string/],
    ['a string for a bit', 'durable', 'false', /durable must be a boolean/],
    ['a number for a bit', 'passive', 1, /passive must be a boolean/],
  ])('wrong type: %s', (_label, field, v, message) => {
    expectEncodeError(declare({ [field]: v }), message);
  });

  it('wrong type for a longstr', () => {
    expectEncodeError((w) => encodeByName(w, 0, 'connection.secure-ok', { response: 42 }), /response must be a string or Uint8Array/);
  });

  it('unknown method name', () => {
    expectEncodeError((w) => encodeByName(w, 1, 'queue.frobnicate', {}), /unknown method queue\.frobnicate/);
  });

  it('a frame over frame_max is refused whole', () => {
    const w = new Writer(8, 4096);
    w.bytes(Buffer.from('prefix'));
    expect(() => encodeByName(w, 1, 'queue.declare', { ...valid, arguments: { big: 'x'.repeat(5000) } })).toThrow(EncodeError);
    expect(w.pos).toBe(6);
  });

  it('fast path: an overlong routing key leaves the writer as it was', () => {
    expectEncodeError((w) => encodeBasicPublish(w, 1, 'ex', 'r'.repeat(256), false), /basic\.publish: routingKey is 256/);
  });
});

/** Payload of a valid, fairly rich instance of each method. */
function samplePayload(def: MethodDef, seed: number): Buffer {
  const input = fc.sample(methodArgs(def), { numRuns: 1, seed })[0]!.input;
  const f = onlyFrame(methodFrame(3, def.name, input));
  return Buffer.from(f.buf.subarray(f.start, f.end));
}

describe('decode errors', () => {
  it.each(table.map((def) => ({ name: def.name, def })))('$name: every truncation is a 502', ({ def }) => {
    for (const seed of [1, 2, 3]) {
      const p = samplePayload(def, seed);
      // Keep the cut-off bytes in the buffer: the decoder must stop at `end`, not at buf.length.
      const padded = Buffer.concat([Buffer.from([0xee, 0xee]), p]);
      for (let cut = 0; cut < p.length; cut++) {
        expectFrameError(() => decodeMethod(padded, 2, 2 + cut), 502);
        expectFrameError(() => decodeMethod(p.subarray(0, cut), 0, cut), 502);
      }
      expect(decodeMethod(padded, 2, padded.length).name).toBe(def.name);
    }
  });

  it('basic.deliver fast path: every truncation is a 502', () => {
    const p = samplePayload(METHOD_BY_NAME.get('basic.deliver')!, 9);
    for (let cut = 4; cut < p.length; cut++) expectFrameError(() => decodeBasicDeliver(p, 0, cut), 502);
  });

  it.each(table.map((def) => ({ name: def.name, def })))('$name: trailing bytes are a 502', ({ def }) => {
    const p = samplePayload(def, 5);
    for (const extra of [[0], [0xce], [1, 2, 3, 4, 5, 6, 7, 8]]) {
      const longer = Buffer.concat([p, Buffer.from(extra)]);
      expectFrameError(() => decodeMethod(longer, 0, longer.length), 502, new RegExp(`${def.name.replace('.', '\\.')} has ${extra.length} bytes after`));
    }
  });

  it('basic.deliver fast path: trailing bytes are a 502', () => {
    const p = Buffer.concat([samplePayload(METHOD_BY_NAME.get('basic.deliver')!, 5), Buffer.from([0])]);
    expectFrameError(() => decodeBasicDeliver(p, 0, p.length), 502);
  });

  it.each([
    [0, 0], [99, 10], [60, 61], [10, 12],
    // RabbitMQ numbers exchange.unbind-ok 51; the 0-9-1 XML's 41 is not a method.
    [40, 41],
    [0xffff, 0xffff],
  ])('unknown class/method %i.%i is a 503', (classId, methodId) => {
    const p = Buffer.from([classId >> 8, classId & 0xff, methodId >> 8, methodId & 0xff, 0, 0, 0, 0]);
    expectFrameError(() => decodeMethod(p, 0, p.length), 503, new RegExp(`class ${classId}, method ${methodId}`));
  });

  it.each([
    ['a stray continuation byte', [0x80]],
    ['0xff', [0x61, 0xff]],
    ['an overlong encoding of NUL', [0xc0, 0x80]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a cut multibyte character', [0x61, 0xe2, 0x82]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('invalid UTF-8 in a shortstr (%s) is a 502', (_label, bad) => {
    const p = Buffer.from([0, 50, 0, 11, bad.length, ...bad, 0, 0, 0, 1, 0, 0, 0, 2]);
    expectFrameError(() => decodeMethod(p, 0, p.length), 502, /not valid UTF-8/);
  });

  it('invalid UTF-8 in a table key is a 502', () => {
    const entry = [1, 0xff, 0x56]; // key of one byte 0xff, value V
    const p = Buffer.from([0, 10, 0, 11, 0, 0, 0, entry.length, ...entry, 5, ...Buffer.from('PLAIN'), 0, 0, 0, 0, 0]);
    expectFrameError(() => decodeMethod(p, 0, p.length), 502, /not valid UTF-8/);
  });

  it.each([1, 2, 0x7fffffff, 0xffffffff])('longstr length that runs %i bytes past the end is a 502', (over) => {
    // connection.secure with a challenge claiming 3 + over bytes where 3 are there
    const len = over >= 0x7fffffff ? over : 3 + over;
    const p = Buffer.from([0, 10, 0, 20, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, 1, 2, 3]);
    expectFrameError(() => decodeMethod(p, 0, p.length), 502, /truncated long string/);
  });

  it('table length that runs past the end is a 502', () => {
    const p = Buffer.from([0, 10, 0, 11, 0, 0, 1, 0, 0x61, 0x56]);
    expectFrameError(() => decodeMethod(p, 0, p.length), 502);
  });

  it('a table entry that runs past the table length is a 502, even with bytes after the table', () => {
    // table length 3 holds key "a" + tag 'I' but not its 4 value bytes, which follow the table
    const p = Buffer.from([0, 10, 0, 11, 0, 0, 0, 3, 1, 0x61, 0x49, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expectFrameError(() => decodeMethod(p, 0, p.length), 502, /truncated/);
  });

  it.each([
    ['2^53', '0020000000000000'],
    ['2^64-1', 'ffffffffffffffff'],
    ['2^63', '8000000000000000'],
  ])('longlong of %s (over 2^53-1) is a 502', (_label, hexTag) => {
    const p = Buffer.concat([Buffer.from([0, 60, 0, 80]), Buffer.from(hexTag, 'hex'), Buffer.from([0])]);
    expectFrameError(() => decodeMethod(p, 0, p.length), 502, /exceeds 2\^53-1/);
    const d = Buffer.concat([Buffer.from([0, 60, 0, 60, 0]), Buffer.from(hexTag, 'hex'), Buffer.from([0, 0, 0])]);
    expectFrameError(() => decodeBasicDeliver(d, 0, d.length), 502, /exceeds 2\^53-1/);
  });

  it('longlong of exactly 2^53-1 decodes', () => {
    const p = Buffer.from([0, 60, 0, 80, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]);
    expect(decodeMethod(p, 0, p.length).args).toEqual({ deliveryTag: Number.MAX_SAFE_INTEGER, multiple: true });
  });

  it('random bytes after valid ids give a method or a FrameError, nothing else', () => {
    const ids = fc.constantFrom(...table.map((d) => [d.classId, d.methodId] as const));
    fc.assert(
      fc.property(ids, fc.uint8Array({ maxLength: 48 }), ([c, m], body) => {
        const p = Buffer.concat([Buffer.from([c >> 8, c & 0xff, m >> 8, m & 0xff]), body]);
        try {
          decodeMethod(p, 0, p.length);
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError);
          expect([502, 503]).toContain((e as FrameError).replyCode);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
