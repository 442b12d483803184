/**
 * The hand-specialised codecs for basic.publish, basic.ack and basic.deliver against the generic
 * table-driven codec: same bytes out, same values (and same errors) in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError } from '../../../src/frames/errors.js';
import { Writer } from '../../../src/frames/writer.js';
import { decodeMethod, encodeMethod } from '../../../src/methods/codec.js';
import {
  BASIC_ACK_KEY, BASIC_DELIVER_KEY, BASIC_PUBLISH_KEY, DeliverCache, decodeBasicDeliver, decodeBasicPublish, encodeBasicAck, encodeBasicPublish,
} from '../../../src/methods/fast-path.js';
import { METHOD_BY_NAME } from '../../../src/methods/codec.js';
import { methodFrame, onlyFrame } from './frame-helpers.js';
import { shortstr } from './method-arbitraries.js';

const RUNS = 2000;
const channel = fc.integer({ min: 0, max: 0xffff });
/** Delivery tags: small, around the 32-bit boundary, and up to 2^53-1. */
const deliveryTag = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.integer({ min: 0xffff_fff0, max: 0x1_0000_0010 }),
  fc.maxSafeInteger().filter((v) => v >= 0),
  fc.constantFrom(0, 1, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER),
);
/** Bytes already in the writer, so the frame starts mid-buffer and may force a grow. */
const prefix = fc.uint8Array({ maxLength: 40 });
const initialSize = fc.integer({ min: 1, max: 64 });

function written(size: number, pre: Uint8Array, write: (w: Writer) => void): Buffer {
  const w = new Writer(size);
  w.bytes(pre);
  write(w);
  return Buffer.from(w.flush());
}

describe('fast-path keys', () => {
  it('match the table', () => {
    expect(BASIC_PUBLISH_KEY).toBe(METHOD_BY_NAME.get('basic.publish')!.key);
    expect(BASIC_DELIVER_KEY).toBe(METHOD_BY_NAME.get('basic.deliver')!.key);
    expect(BASIC_ACK_KEY).toBe(METHOD_BY_NAME.get('basic.ack')!.key);
  });
});

describe('encodeBasicPublish', () => {
  it('writes the same bytes as encodeMethod', () => {
    fc.assert(
      fc.property(channel, shortstr, shortstr, fc.boolean(), prefix, initialSize, (ch, exchange, routingKey, mandatory, pre, size) => {
        const fast = written(size, pre, (w) => encodeBasicPublish(w, ch, exchange, routingKey, mandatory));
        const slow = written(64, pre, (w) => encodeMethod(w, ch, 'basic.publish', { exchange, routingKey, mandatory }));
        expect(fast.toString('hex')).toBe(slow.toString('hex'));
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects what encodeMethod rejects, leaving the writer as it was', () => {
    const tooLong = fc.oneof(
      fc.string({ unit: 'grapheme-ascii', minLength: 256, maxLength: 300 }),
      fc.integer({ min: 86, max: 100 }).map((n) => '€'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.boolean(), tooLong, shortstr, prefix, (first, bad, ok, pre) => {
        const [exchange, routingKey] = first ? [bad, ok] : [ok, bad];
        const w = new Writer(16);
        w.bytes(pre);
        expect(() => encodeBasicPublish(w, 1, exchange, routingKey, false)).toThrow(/255/);
        expect(w.pos).toBe(pre.length);
        expect(() => encodeMethod(w, 1, 'basic.publish', { exchange, routingKey, mandatory: false })).toThrow(/255/);
        expect(w.pos).toBe(pre.length);
        expect(Buffer.from(w.buf.subarray(0, w.pos))).toEqual(Buffer.from(pre));
      }),
      { numRuns: 200 },
    );
  });
});

describe('encodeBasicAck', () => {
  it('writes the same bytes as encodeMethod', () => {
    fc.assert(
      fc.property(channel, deliveryTag, fc.boolean(), prefix, initialSize, (ch, tag, multiple, pre, size) => {
        const fast = written(size, pre, (w) => encodeBasicAck(w, ch, tag, multiple));
        const slow = written(64, pre, (w) => encodeMethod(w, ch, 'basic.ack', { deliveryTag: tag, multiple }));
        expect(fast.toString('hex')).toBe(slow.toString('hex'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('decodeBasicDeliver', () => {
  const deliverArgs = fc.record({
    consumerTag: shortstr,
    deliveryTag,
    redelivered: fc.boolean(),
    exchange: shortstr,
    routingKey: shortstr,
  });

  it('agrees with decodeMethod on encoded deliveries', () => {
    fc.assert(
      fc.property(deliverArgs, channel, fc.nat({ max: 16 }), (args, ch, offset) => {
        const frame = onlyFrame(methodFrame(ch, 'basic.deliver', args));
        // Copy the payload to a non-zero offset with bytes after it: decoders must honour start/end.
        const payload = frame.buf.subarray(frame.start, frame.end);
        const buf = Buffer.concat([Buffer.alloc(offset, 0xaa), payload, Buffer.from([1, 2, 3])]);
        const end = offset + payload.length;
        const fast = decodeBasicDeliver(buf, offset, end);
        expect(fast).toEqual(args);
        expect(decodeMethod(buf, offset, end).args).toEqual(fast);
      }),
      { numRuns: RUNS },
    );
  });

  /** Strings that often repeat or nearly repeat, as consumer tags, exchanges and keys do. */
  const repeating = fc.oneof(
    fc.constantFrom('', 'ctag', 'ctah', 'amq.ctag-1', 'é', 'ü', 'e\u0301', 'logs', 'x'.repeat(255), '\u0080', 'a\u00ff'),
    shortstr,
  );
  const hint = fc.record({
    consumerTag: repeating, deliveryTag, redelivered: fc.boolean(), exchange: repeating, routingKey: repeating,
  });

  it('with a per-channel cache, still agrees with decodeMethod delivery after delivery', () => {
    fc.assert(
      fc.property(fc.array(hint, { minLength: 1, maxLength: 6 }), (deliveries) => {
        const cache = new DeliverCache();
        for (const args of deliveries) {
          const f = onlyFrame(methodFrame(1, 'basic.deliver', args));
          const fast = decodeBasicDeliver(f.buf, f.start, f.end, cache);
          expect(fast).toEqual(args);
          expect(decodeMethod(f.buf, f.start, f.end).args).toEqual(fast);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the cache reuses a string only when the bytes repeat, whatever the text looks like', () => {
    const cache = new DeliverCache();
    const frame = (consumerTag: string) =>
      onlyFrame(methodFrame(1, 'basic.deliver', { consumerTag, deliveryTag: 1, redelivered: false, exchange: '', routingKey: '' }));
    const e = frame('\u00e9'); // c3 a9 in UTF-8
    const first = decodeBasicDeliver(e.buf, e.start, e.end, cache).consumerTag;
    expect(first).toBe('\u00e9');
    // Same length, different bytes: decoded afresh, not taken from the cache.
    const other = frame('ab');
    expect(decodeBasicDeliver(other.buf, other.start, other.end, cache).consumerTag).toBe('ab');
    // Back to the first bytes: right text again, and invalid UTF-8 is never hidden by the cache.
    expect(decodeBasicDeliver(e.buf, e.start, e.end, cache).consumerTag).toBe('\u00e9');
    const bad = Buffer.from(e.buf.subarray(e.start, e.end));
    bad[5] = 0xff;
    expect(() => decodeBasicDeliver(bad, 0, bad.length, cache)).toThrow(FrameError);
  });

  /** The outcome of a decoder as a comparable value: the args or the error's reply code. */
  function outcome(decode: () => unknown): unknown {
    try {
      return { ok: decode() };
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      return { replyCode: e.replyCode };
    }
  }

  it('agrees with decodeMethod on arbitrary bytes after the basic.deliver ids', () => {
    // Bytes shaped roughly like a delivery (so many decode) and raw noise (so many fail).
    const shaped = fc
      .tuple(shortstr, deliveryTag, fc.boolean(), fc.nat({ max: 255 }), shortstr, shortstr, fc.uint8Array({ maxLength: 2 }))
      .map(([c, tag, beyond, bits, e, r, tail]) => {
        const s = (t: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(t)]), Buffer.from(t)]);
        const t = Buffer.alloc(8);
        t.writeUInt32BE(Math.floor(tag / 0x100000000), 0);
        t.writeUInt32BE(tag >>> 0, 4);
        if (beyond) t[1] = t[1]! | 0x20; // now and then a tag over 2^53-1
        return Buffer.concat([s(c), t, Buffer.from([bits]), s(e), s(r), tail]);
      });
    const noise = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(fc.oneof(shaped, noise), fc.nat({ max: 40 }), fc.option(hint), (body, cut, prev) => {
        const full = Buffer.concat([Buffer.from([0, 60, 0, 60]), body]);
        const end = Math.max(4, full.length - (cut % (full.length + 1)));
        // A cache primed by an earlier, valid delivery must not change the outcome.
        const cache = new DeliverCache();
        if (prev !== null) {
          const f = onlyFrame(methodFrame(1, 'basic.deliver', prev));
          decodeBasicDeliver(f.buf, f.start, f.end, cache);
        }
        const fast = outcome(() => decodeBasicDeliver(full, 0, end, cache));
        const slow = outcome(() => decodeMethod(full, 0, end).args);
        expect(fast).toEqual(slow);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads only bit 0 of the redelivered octet, like the generic decoder', () => {
    const payload = Buffer.from([0, 60, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0xfe, 0, 0]);
    expect(decodeBasicDeliver(payload, 0, payload.length).redelivered).toBe(false);
    expect(decodeMethod(payload, 0, payload.length).args).toMatchObject({ redelivered: false });
  });
});

describe('decodeBasicPublish', () => {
  const publishArgs = fc.record({
    ticket: fc.nat({ max: 0xffff }), exchange: shortstr, routingKey: shortstr, mandatory: fc.boolean(), immediate: fc.boolean(),
  });

  it('agrees with decodeMethod on encoded publishes, with and without a cache', () => {
    fc.assert(
      fc.property(fc.array(publishArgs, { minLength: 1, maxLength: 4 }), fc.nat({ max: 16 }), (publishes, offset) => {
        const cache = new DeliverCache();
        for (const args of publishes) {
          const frame = onlyFrame(methodFrame(1, 'basic.publish', args));
          const payload = frame.buf.subarray(frame.start, frame.end);
          const buf = Buffer.concat([Buffer.alloc(offset, 0xaa), payload, Buffer.from([1, 2, 3])]);
          const end = offset + payload.length;
          expect(decodeBasicPublish(buf, offset, end)).toEqual(args);
          expect(decodeBasicPublish(buf, offset, end, cache)).toEqual(args);
          expect(decodeMethod(buf, offset, end).args).toEqual(args);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with decodeMethod on arbitrary bytes after the basic.publish ids', () => {
    const outcome = (decode: () => unknown): unknown => {
      try {
        return { ok: decode() };
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        return { replyCode: e.replyCode };
      }
    };
    const shaped = fc.tuple(fc.nat({ max: 0xffff }), shortstr, shortstr, fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 2 }))
      .map(([ticket, e, r, bits, tail]) => {
        const s = (t: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(t)]), Buffer.from(t)]);
        return Buffer.concat([Buffer.from([ticket >> 8, ticket & 0xff]), s(e), s(r), Buffer.from([bits]), tail]);
      });
    const noise = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(fc.oneof(shaped, noise), fc.nat({ max: 40 }), (body, cut) => {
        const full = Buffer.concat([Buffer.from([0, 60, 0, 40]), body]);
        const end = Math.max(4, full.length - (cut % (full.length + 1)));
        expect(outcome(() => decodeBasicPublish(full, 0, end, new DeliverCache()))).toEqual(outcome(() => decodeMethod(full, 0, end).args));
      }),
      { numRuns: RUNS },
    );
  });
});
