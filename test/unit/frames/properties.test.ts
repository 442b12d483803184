import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/frames/errors.js';
import { typed } from '../../../src/frames/field-table.js';
import {
  PROPERTY_NAMES, decodeContentHeader, writeContentHeader, type BasicProperties,
} from '../../../src/frames/properties.js';
import { Writer } from '../../../src/frames/writer.js';
import { arbBasicProperties, canonDecoded, expectedDecoded } from '../../support/arbitraries.js';
import { expectSyntaxError } from '../../support/expect-errors.js';
import { hex } from '../../support/hex.js';

function headerFrame(p: BasicProperties | undefined, bodySize = 0, channel = 1): Buffer {
  const w = new Writer(16);
  writeContentHeader(w, channel, 60, bodySize, p);
  return Buffer.from(w.flush());
}

/** Decode the payload of one whole header frame. */
function decodeFrame(frame: Buffer): ReturnType<typeof decodeContentHeader> {
  expect(frame[0]).toBe(2);
  expect(frame[frame.length - 1]).toBe(0xce);
  expect(frame.readUInt32BE(3)).toBe(frame.length - 8);
  return decodeContentHeader(frame, 7, frame.length - 1);
}

/** Decode a bare content-header payload. */
function decodePayload(payload: Buffer): ReturnType<typeof decodeContentHeader> {
  return decodeContentHeader(payload, 0, payload.length);
}

/** Properties with the headers table in canonical form, for comparison. */
function canonProps(p: BasicProperties, headers: (t: NonNullable<BasicProperties['headers']>) => unknown): unknown {
  const out: Record<string, unknown> = { ...p };
  if (p.headers !== undefined) out.headers = headers(p.headers);
  return out;
}

describe('content header', () => {
  it('matches the golden vector', () => {
    const frame = headerFrame(
      { contentType: 'text/plain', headers: { a: 1 }, deliveryMode: 2, messageId: '', timestamp: 1700000000 }, 5,
    );
    expect(frame).toEqual(hex`
      02 0001 0000002b        # header frame, channel 1, size 43
      003c 0000               # class basic, weight 0
      0000000000000005        # body size 5
      b0c0                    # flags: content-type, headers, delivery-mode, message-id, timestamp
      0a 746578742f706c61696e # content-type "text/plain"
      00000004 01 61 62 01    # headers { a: int8 1 }
      02                      # delivery-mode 2
      00                      # message-id "" (present)
      000000006553f100        # timestamp 1700000000
      ce
    `);
    expect(decodeFrame(frame)).toEqual({
      classId: 60, weight: 0, bodySize: 5,
      properties: { contentType: 'text/plain', headers: { a: 1 }, deliveryMode: 2, messageId: '', timestamp: 1700000000 },
    });
  });

  it('writes no flags for no properties, whether undefined or {}', () => {
    const want = hex`02 0001 0000000e  003c 0000 0000000000000000 0000  ce`;
    expect(headerFrame(undefined)).toEqual(want);
    expect(headerFrame({})).toEqual(want);
    expect(headerFrame({ contentType: undefined } as unknown as BasicProperties)).toEqual(want);
    expect(decodeFrame(want).properties).toEqual({});
  });

  it('sets one flag bit per property in wire order, bit 15 first', () => {
    const values: Required<BasicProperties> = {
      contentType: '', contentEncoding: '', headers: {}, deliveryMode: 0, priority: 0, correlationId: '', replyTo: '',
      expiration: '', messageId: '', timestamp: 0, type: '', userId: '', appId: '', clusterId: '',
    };
    PROPERTY_NAMES.forEach((name, i) => {
      const frame = headerFrame({ [name]: values[name] } as BasicProperties);
      expect(frame.readUInt16BE(7 + 12), name).toBe(1 << (15 - i));
      expect(decodeFrame(frame).properties, name).toEqual({ [name]: values[name] });
    });
  });

  it('treats 0 and "" as present', () => {
    const all: Required<BasicProperties> = {
      contentType: '', contentEncoding: '', headers: {}, deliveryMode: 0, priority: 0, correlationId: '', replyTo: '',
      expiration: '', messageId: '', timestamp: 0, type: '', userId: '', appId: '', clusterId: '',
    };
    const frame = headerFrame(all);
    expect(frame.readUInt16BE(19)).toBe(0xfffc);
    expect(decodeFrame(frame).properties).toEqual(all);
  });

  it('round trips all 14 properties, 1,000 random sets', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(arbBasicProperties(), fc.maxSafeNat(), fc.integer({ min: 0, max: 0xffff }), (p, bodySize, channel) => {
        const frame = headerFrame(p, bodySize, channel);
        expect(frame.readUInt16BE(1)).toBe(channel);
        const h = decodeFrame(frame);
        expect(h.bodySize).toBe(bodySize);
        expect(canonProps(h.properties, canonDecoded)).toEqual(canonProps(p, expectedDecoded));
        expect(Object.keys(h.properties)).toEqual(PROPERTY_NAMES.filter((n) => p[n] !== undefined));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('content header: refused properties leave the writer untouched', () => {
  const bad: Array<[string, BasicProperties, RegExp]> = [
    ['deliveryMode 256', { deliveryMode: 256 }, /deliveryMode must be an integer 0..255/],
    ['priority -1', { priority: -1 }, /priority/],
    ['priority 1.5', { priority: 1.5 }, /priority/],
    ['timestamp -1', { timestamp: -1 }, /timestamp must be whole seconds/],
    ['timestamp 1.5', { timestamp: 1.5 }, /timestamp/],
    ['timestamp 2^53', { timestamp: 2 ** 53 }, /timestamp/],
    ['contentType of 256 bytes', { contentType: 'x'.repeat(256) }, /contentType is 256 UTF-8 bytes/],
    ['replyTo not a string', { replyTo: 5 as unknown as string }, /replyTo must be a string/],
    ['headers null', { headers: null as unknown as Record<string, never> }, /headers must be an object/],
    ['headers with an out-of-range typed value', { headers: { x: typed('B', 300) } }, /does not fit type 'B'/],
    ['headers nested too deep', { headers: JSON.parse(`${'{"a":'.repeat(70)}1${'}'.repeat(70)}`) }, /nested deeper/],
  ];
  for (const [name, p, message] of bad) {
    it(name, () => {
      const w = new Writer(16);
      w.u32(0xabcdef01);
      expect(() => writeContentHeader(w, 1, 60, 0, { messageId: 'm', ...p })).toThrow(EncodeError);
      expect(() => writeContentHeader(w, 1, 60, 0, { messageId: 'm', ...p })).toThrow(message);
      expect(w.flush()).toEqual(hex`abcdef01`);
    });
  }
});

describe('content header: decoding', () => {
  const base = hex`003c 0000 0000000000000001`;

  it('skips a continuation flags word that sets nothing', () => {
    const h = decodePayload(Buffer.concat([base, hex`8001  0001  0000  03 616263`]));
    expect(h.properties).toEqual({ contentType: 'abc' });
  });

  it('refuses a continuation word that sets a property', () => {
    expectSyntaxError(() => decodePayload(Buffer.concat([base, hex`0001 8000`])), /beyond the 14/);
    expectSyntaxError(() => decodePayload(Buffer.concat([base, hex`0001 0002`])), /beyond the 14/);
  });

  it('refuses flag bit 1 (a fifteenth property)', () => {
    expectSyntaxError(() => decodePayload(Buffer.concat([base, hex`0002`])), /15th property/);
  });

  it('refuses trailing bytes', () => {
    expectSyntaxError(() => decodePayload(Buffer.concat([base, hex`0000 00`])), /1 bytes after its properties/);
    expectSyntaxError(() => decodePayload(Buffer.concat([base, hex`1000 02 ffff`])), /2 bytes after/);
  });

  it('refuses truncation anywhere', () => {
    const whole = headerFrame({ contentType: 'a', headers: { k: 'v' }, timestamp: 1, appId: 'z' }, 3);
    const payload = whole.subarray(7, whole.length - 1);
    for (let n = 0; n < payload.length; n++) expectSyntaxError(() => decodePayload(payload.subarray(0, n)));
  });

  it('refuses a body size or timestamp above 2^53-1', () => {
    expectSyntaxError(() => decodePayload(hex`003c 0000 0020000000000000 0000`), /body size .* exceeds 2\^53-1/);
    expectSyntaxError(() => decodePayload(Buffer.concat([base, hex`0040 ffffffffffffffff`])), /timestamp/);
  });

  it('refuses a short-string property that is not UTF-8', () => {
    expectSyntaxError(() => decodePayload(Buffer.concat([base, hex`8000 01 ff`])), /not valid UTF-8/);
  });

  it('reads the class id and weight as sent', () => {
    expect(decodePayload(hex`0014 0007 0000000000000000 0000`)).toEqual({ classId: 20, weight: 7, bodySize: 0, properties: {} });
  });
});
