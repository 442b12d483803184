import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameType } from '../../../src/frames/constants.js';
import { writeContent } from '../../../src/frames/content.js';
import { EncodeError } from '../../../src/frames/errors.js';
import { FrameParser } from '../../../src/frames/parser.js';
import { decodeContentHeader, type BasicProperties } from '../../../src/frames/properties.js';
import { Writer } from '../../../src/frames/writer.js';
import { parseFrames, type FrameSpec } from '../../support/arbitraries.js';
import { hex } from '../../support/hex.js';

/** `size` pseudo-random bytes from `seed` (xorshift32), optionally as a view at an odd offset. */
function makeBody(size: number, seed: number, offset: number): Uint8Array {
  const backing = Buffer.allocUnsafe(size + offset + 3);
  let x = seed | 1;
  for (let i = 0; i < backing.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    backing[i] = x & 0xff;
  }
  return new Uint8Array(backing.buffer, backing.byteOffset + offset, size);
}

/** Encode one message and parse it back with a parser capped at frameMax. */
function roundTrip(body: Uint8Array, frameMax: number, channel: number, props?: BasicProperties): { bytes: Buffer; frames: FrameSpec[] } {
  const w = new Writer(1024, frameMax);
  writeContent(w, channel, 60, body, props);
  const bytes = Buffer.from(w.flush());
  return { bytes, frames: parseFrames([bytes], new FrameParser(frameMax === 0 ? undefined : frameMax)) };
}

/** Check the R6 invariants for one encoded message. */
function checkMessage(body: Uint8Array, frameMax: number, channel: number, bytes: Buffer, frames: FrameSpec[]): void {
  const [header, ...bodies] = frames;
  expect(header?.type).toBe(FrameType.HEADER);
  expect(header?.channel).toBe(channel);
  expect(decodeContentHeader(header!.payload, 0, header!.payload.length).bodySize).toBe(body.length);
  const chunk = frameMax - 8;
  expect(bodies.length).toBe(Math.ceil(body.length / chunk));
  for (const f of bodies) {
    expect(f.type).toBe(FrameType.BODY);
    expect(f.channel).toBe(channel);
    expect(f.payload.length).toBeGreaterThan(0);
    expect(f.payload.length).toBeLessThanOrEqual(chunk);
    expect(f.payload.length + 8).toBeLessThanOrEqual(frameMax);
  }
  expect(Buffer.concat(bodies.map((f) => f.payload)).equals(body)).toBe(true);
  expect(frames.reduce((n, f) => n + f.payload.length + 8, 0)).toBe(bytes.length);
}

describe('writeContent (R6)', () => {
  it('cuts bodies of 0..1 MiB into frames within frame_max 8192..131072, byte-exact', { timeout: 60_000 }, () => {
    const arbCase = fc
      .record({
        frameMax: fc.oneof(fc.constantFrom(8192, 131072, 8193, 131071), fc.integer({ min: 8192, max: 131072 })),
        seed: fc.integer(),
        offset: fc.integer({ min: 0, max: 7 }),
        channel: fc.integer({ min: 1, max: 0xffff }),
        pick: fc.nat(),
        delta: fc.integer({ min: -1, max: 1 }),
      })
      .chain((c) => {
        const chunk = c.frameMax - 8;
        const maxK = Math.floor((1 << 20) / chunk);
        const boundary = Math.max(0, Math.min(1 << 20, ((c.pick % maxK) + 1) * chunk + c.delta));
        const size = fc.oneof(fc.constantFrom(0, 1, 1 << 20, boundary), fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 0, max: 3 * chunk }));
        return size.map((s) => ({ ...c, size: s }));
      });
    let runs = 0;
    fc.assert(
      fc.property(arbCase, ({ frameMax, seed, offset, channel, size }) => {
        runs++;
        const body = makeBody(size, seed, offset);
        const { bytes, frames } = roundTrip(body, frameMax, channel, { deliveryMode: 2 });
        checkMessage(body, frameMax, channel, bytes, frames);
      }),
      { numRuns: 300 },
    );
    expect(runs).toBeGreaterThanOrEqual(300);
  });

  it('writes no body frames for an empty body', () => {
    const { bytes, frames } = roundTrip(new Uint8Array(0), 8192, 3);
    expect(frames.length).toBe(1);
    expect(bytes).toEqual(hex`02 0003 0000000e  003c 0000 0000000000000000 0000  ce`);
  });

  it('fills body frames to exactly frame_max - 8', () => {
    const body = makeBody(8184 * 2 + 1, 7, 0);
    const { bytes, frames } = roundTrip(body, 8192, 1);
    expect(frames.map((f) => f.payload.length)).toEqual([14, 8184, 8184, 1]);
    expect(bytes.readUInt32BE(22 + 3)).toBe(8184); // size field of the first body frame, after the 22-byte header frame
    checkMessage(body, 8192, 1, bytes, frames);
  });

  it('writes one body frame when frame_max is 0 (no limit)', () => {
    const body = makeBody(300000, 3, 1);
    const { frames } = roundTrip(body, 0, 1);
    expect(frames.length).toBe(2);
    expect(frames[1]!.payload.equals(body)).toBe(true);
  });

  it('appends messages one after another in the same writer', () => {
    const w = new Writer(64, 8192);
    const a = makeBody(10000, 1, 0);
    const b = makeBody(5, 2, 0);
    writeContent(w, 1, 60, a, undefined);
    writeContent(w, 2, 60, b, { type: 't' });
    const frames = parseFrames([Buffer.from(w.flush())], new FrameParser(8192));
    expect(frames.map((f) => [f.type, f.channel, f.payload.length])).toEqual([
      [2, 1, 14], [3, 1, 8184], [3, 1, 1816], [2, 2, 16], [3, 2, 5],
    ]);
  });
});

describe('writeContent: a header over frame_max', () => {
  // Header payload: 14 bytes + headers table (4 + key 2 + tag 1 + length 4 + n) = 25 + n.
  const headersOf = (n: number): BasicProperties => ({ headers: { k: 'x'.repeat(n) } });

  it('takes a header frame of exactly frame_max', () => {
    const { frames } = roundTrip(makeBody(10, 1, 0), 8192, 1, headersOf(8192 - 33));
    expect(frames[0]!.payload.length).toBe(8192 - 8);
    expect(frames.length).toBe(2);
  });

  it('refuses one byte more with an EncodeError and leaves the writer as it was', () => {
    const w = new Writer(64, 8192);
    w.u32(0x01020304);
    const call = (): void => writeContent(w, 1, 60, makeBody(100000, 1, 0), headersOf(8192 - 32));
    expect(call).toThrow(EncodeError);
    expect(call).toThrow(/frame of 8193 bytes exceeds the negotiated frame_max 8192/);
    expect(w.flush()).toEqual(hex`01020304`);
  });

  it('refuses a huge headers table the same way', () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) big[`header-${i}`] = 'value';
    const w = new Writer(64, 8192);
    expect(() => writeContent(w, 1, 60, makeBody(5, 1, 0), { headers: big })).toThrow(EncodeError);
    expect(w.pos).toBe(0);
    writeContent(w, 1, 60, makeBody(5, 1, 0), { headers: { ok: true } });
    expect(parseFrames([Buffer.from(w.flush())]).length).toBe(2);
  });

  it('refuses bad properties without writing a byte', () => {
    const w = new Writer(64, 8192);
    expect(() => writeContent(w, 1, 60, makeBody(50000, 1, 0), { priority: 256 })).toThrow(EncodeError);
    expect(w.pos).toBe(0);
  });
});
