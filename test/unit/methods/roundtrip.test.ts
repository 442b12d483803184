/**
 * Every method in the table survives encode -> FrameParser -> decode with random valid arguments,
 * and bit arguments pack the way spec 4.2.5.2 says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameType } from '../../../src/frames/constants.js';
import type { FieldTable } from '../../../src/frames/field-table.js';
import { Writer } from '../../../src/frames/writer.js';
import { decodeMethod, encodeMethodDef, METHOD_BY_NAME } from '../../../src/methods/codec.js';
import { METHODS, type MethodDef } from '../../../src/methods/definitions.js';
import type { FieldSpec } from '../../../src/methods/fields.js';
import { encodeByName, methodFrame, onlyFrame, parseFrames } from './frame-helpers.js';
import { canonicalTable, methodArgs } from './method-arbitraries.js';

const RUNS = 1000;
const HEARTBEAT = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]);
const table: readonly MethodDef[] = METHODS;

/** Decoded args with each table field in the canonical form the arbitraries expect. */
function withCanonicalTables(def: MethodDef, args: Record<string, unknown>): Record<string, unknown> {
  const out = { ...args };
  for (const [name, type] of def.fields) if (type === 'table') out[name] = canonicalTable(args[name] as FieldTable);
  return out;
}

describe('encode -> parse -> decode round trip', () => {
  it.each(table.map((def) => ({ name: def.name, def })))('$name', ({ def }) => {
    fc.assert(
      fc.property(
        methodArgs(def),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 3 }),
        ({ input, expected }, channel, heartbeats, cuts) => {
          // A small writer that already holds other frames: the method frame starts mid-buffer
          // and the buffer has to grow under it.
          const w = new Writer(16);
          for (let i = 0; i < heartbeats; i++) w.bytes(HEARTBEAT);
          encodeByName(w, channel, def.name, input);
          const frames = parseFrames(Buffer.from(w.flush()), cuts);
          expect(frames.length).toBe(heartbeats + 1);
          const f = frames[heartbeats]!;
          expect(f.type).toBe(FrameType.METHOD);
          expect(f.channel).toBe(channel);
          const m = decodeMethod(f.buf, f.start, f.end);
          expect({ ...m, args: withCanonicalTables(def, m.args) }).toEqual({
            name: def.name,
            classId: def.classId,
            methodId: def.methodId,
            args: expected,
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('long strings beyond 16 bits of length', () => {
  it.each([65535, 65536, 70_001, 1 << 20])('connection.secure-ok carries a %i-byte response', (n) => {
    const response = Buffer.alloc(n);
    for (let i = 0; i < n; i++) response[i] = (i * 31 + 7) & 0xff;
    const f = onlyFrame(methodFrame(0, 'connection.secure-ok', { response }));
    expect(f.end - f.start).toBe(4 + 4 + n);
    const m = decodeMethod(f.buf, f.start, f.end);
    // Buffer.equals: element-wise toEqual over a megabyte is needlessly slow.
    expect(m.name === 'connection.secure-ok' && Buffer.isBuffer(m.args.response) && m.args.response.equals(response)).toBe(true);
  });
});

/** The payload bytes of a method frame. */
function payload(name: string, args: Record<string, unknown>): Buffer {
  const f = onlyFrame(methodFrame(1, name, args));
  return f.buf.subarray(f.start, f.end);
}

/** Every combination of n booleans, labelled like `10110` (first argument first). */
const bools = (n: number): { bits: boolean[]; label: string }[] =>
  Array.from({ length: 1 << n }, (_, mask) => {
    const bits = Array.from({ length: n }, (_, i) => (mask & (1 << i)) !== 0);
    return { bits, label: bits.map(Number).join('') };
  });
const maskOf = (bits: boolean[]): number => bits.reduce((m, b, i) => m | (b ? 1 << i : 0), 0);

describe('bit packing', () => {
  it.each(bools(5))('queue.declare: five consecutive bits share one octet, LSB first ($label)', ({ bits }) => {
    const [passive, durable, exclusive, autoDelete, nowait] = bits;
    const args = { queue: 'q1', passive, durable, exclusive, autoDelete, nowait, arguments: {} };
    const p = payload('queue.declare', args);
    // class, method, ticket, shortstr "q1", one bit octet, empty table
    expect(p.length).toBe(4 + 2 + 3 + 1 + 4);
    expect(p[9]).toBe(maskOf(bits));
    expect(p.subarray(10)).toEqual(Buffer.alloc(4));
    expect(decodeMethod(p, 0, p.length).args).toEqual({ ticket: 0, ...args });
  });

  it.each(bools(5))('exchange.declare: five bits between a shortstr and a table ($label)', ({ bits }) => {
    const [passive, durable, autoDelete, internal, nowait] = bits;
    const args = { exchange: 'x', type: 'topic', passive, durable, autoDelete, internal, nowait, arguments: { a: true } };
    const p = payload('exchange.declare', args);
    expect(p[4 + 2 + 2 + 6]).toBe(maskOf(bits));
    expect(decodeMethod(p, 0, p.length).args).toEqual({ ticket: 0, ...args });
  });

  it('access.request: defaulted bits after a shortstr pack to 0b11110', () => {
    const p = payload('access.request', {});
    expect(p).toEqual(Buffer.from([0, 30, 0, 10, 5, ...Buffer.from('/data'), 0b11110]));
  });

  it.each(bools(2))('basic.nack: two bits after a longlong ($label)', ({ bits }) => {
    const [multiple, requeue] = bits;
    const p = payload('basic.nack', { deliveryTag: 7, multiple, requeue });
    expect(p).toEqual(Buffer.from([0, 60, 0, 120, 0, 0, 0, 0, 0, 0, 0, 7, maskOf(bits)]));
  });

  it.each([false, true])('basic.deliver: a lone bit between a longlong and a shortstr (redelivered=%s)', (redelivered) => {
    const p = payload('basic.deliver', { consumerTag: 'c', deliveryTag: 1, redelivered, exchange: 'e', routingKey: 'r' });
    expect(p).toEqual(Buffer.from([0, 60, 0, 60, 1, 0x63, 0, 0, 0, 0, 0, 0, 0, 1, redelivered ? 1 : 0, 1, 0x65, 1, 0x72]));
  });

  it('a set bit never leaks into the octets around it', () => {
    const p = payload('basic.get-ok', { deliveryTag: 0, redelivered: true, exchange: '', routingKey: '', messageCount: 0 });
    expect(p).toEqual(Buffer.from([0, 60, 0, 71, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
  });

  /** A method shape no 0-9-1 method has, to pin the rule itself. */
  function synthetic(fields: readonly FieldSpec[]): MethodDef {
    return { key: (99 << 16) | 1, classId: 99, methodId: 1, name: 'test.bits', fields, synchronous: false, content: false, replies: [] };
  }

  function encodeSynthetic(def: MethodDef, args: Record<string, unknown>): Buffer {
    const w = new Writer(8);
    encodeMethodDef(w, 0, def, args);
    const f = onlyFrame(Buffer.from(w.flush()));
    return f.buf.subarray(f.start + 4, f.end);
  }

  it('a non-bit field ends the run: bits after it start a new octet', () => {
    const def = synthetic([['a', 'bit'], ['b', 'bit'], ['n', 'short'], ['c', 'bit'], ['d', 'bit']]);
    expect(encodeSynthetic(def, { a: true, b: true, n: 0x0102, c: false, d: true })).toEqual(Buffer.from([0b11, 1, 2, 0b10]));
  });

  it('a ninth bit starts a second octet', () => {
    const names = Array.from({ length: 10 }, (_, i) => `b${i}`);
    const def = synthetic(names.map((n) => [n, 'bit'] as const));
    const args = Object.fromEntries(names.map((n, i) => [n, i === 0 || i === 7 || i === 8]));
    expect(encodeSynthetic(def, args)).toEqual(Buffer.from([0b1000_0001, 0b01]));
  });

  it('every table method with bits packs them to ceil(run/8) octets', () => {
    for (const def of table) {
      const runs: number[] = [];
      let run = 0;
      for (const f of def.fields) {
        if (f[1] === 'bit') run++;
        else if (run > 0) { runs.push(run); run = 0; }
      }
      if (run > 0) runs.push(run);
      if (runs.length === 0) continue;
      const allTrue = Object.fromEntries(def.fields.filter((f) => f[1] === 'bit').map((f) => [f[0], true]));
      const allFalse = Object.fromEntries(def.fields.filter((f) => f[1] === 'bit').map((f) => [f[0], false]));
      const base = fc.sample(methodArgs(METHOD_BY_NAME.get(def.name)!), { numRuns: 1, seed: 7 })[0]!.input;
      const on = payload(def.name, { ...base, ...allTrue });
      const off = payload(def.name, { ...base, ...allFalse });
      expect(on.length, def.name).toBe(off.length);
      const differ = [...on].map((b, i) => b ^ off[i]!).filter((x) => x !== 0);
      expect(differ, `${def.name}: bit octets`).toEqual(runs.map((n) => (1 << n) - 1));
    }
  });
});
