/**
 * An EncodeError says where it happened as data: `method` (`basic.publish`) and `field` (the
 * argument or content property), not only in its message.
 */
import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/frames/errors.js';
import { writeContent } from '../../../src/frames/content.js';
import { Writer } from '../../../src/frames/writer.js';
import { encodeMethod } from '../../../src/methods/codec.js';
import { encodeBasicPublish } from '../../../src/methods/fast-path.js';
import { expectThrown } from '../../support/expect-errors.js';

function encodeError(fn: (w: Writer) => void): EncodeError {
  const w = new Writer(64);
  const err = expectThrown(() => fn(w), EncodeError, 'an EncodeError');
  expect(w.pos).toBe(0);
  return err;
}

describe('EncodeError method and field', () => {
  const long = 'x'.repeat(256);

  it('a too-long short string in the generic codec', () => {
    const e = encodeError((w) => encodeMethod(w, 1, 'queue.declare', { queue: long, passive: false, durable: false, exclusive: false, autoDelete: false }));
    expect(e).toMatchObject({ method: 'queue.declare', field: 'queue' });
    expect(e.message).toBe('queue.declare: queue is 256 UTF-8 bytes; a short string holds at most 255');
  });

  it('a too-long short string in the basic.publish fast path', () => {
    const e = encodeError((w) => encodeBasicPublish(w, 1, 'ex', long, false));
    expect(e).toMatchObject({ method: 'basic.publish', field: 'routingKey' });
    expect(e.message).toBe('basic.publish: routingKey is 256 UTF-8 bytes; a short string holds at most 255');
  });

  it('a field-table value that cannot be encoded names the method and the table argument', () => {
    const e = encodeError((w) => encodeMethod(w, 1, 'queue.declare', {
      queue: 'q', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: { 'x-bad': () => 1 } as never,
    }));
    expect(e).toMatchObject({ method: 'queue.declare', field: 'arguments' });
    expect(e.message).toMatch(/field 'x-bad': a function cannot go in a field table/);
  });

  it('an out-of-range integer argument', () => {
    const e = encodeError((w) => encodeMethod(w, 1, 'basic.qos', { prefetchSize: 0, prefetchCount: 70000, global: false }));
    expect(e).toMatchObject({ method: 'basic.qos', field: 'prefetchCount' });
  });

  it('a bad content property names the property', () => {
    const e = encodeError((w) => writeContent(w, 1, 60, Buffer.from('body'), { priority: 300 }));
    expect(e).toMatchObject({ method: undefined, field: 'priority' });
    expect(e.message).toBe('property priority must be an integer 0..255, got 300');
  });

  it('a too-long string property names the property', () => {
    const e = encodeError((w) => writeContent(w, 1, 60, Buffer.from('body'), { correlationId: long }));
    expect(e).toMatchObject({ field: 'correlationId' });
  });
});
