import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachedText } from '../../../src/frames/text-cache.js';

const at = (s: string | Buffer): [Buffer, number, number] => {
  // Surround the text with other bytes so offsets matter.
  const b = Buffer.concat([Buffer.from('<<'), Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'), Buffer.from('>>')]);
  return [b, 2, b.length - 2];
};

describe('cachedText', () => {
  it('returns the text of the bytes, the same string again when the bytes repeat', () => {
    const a = cachedText(...at('application/json'));
    expect(a).toBe('application/json');
    expect(cachedText(...at('application/json'))).toBe(a);
    expect(cachedText(...at(''))).toBe('');
  });

  it('never returns a remembered string for different bytes of the same length', () => {
    for (let i = 0; i < 5000; i++) {
      const s = `k-${String(i).padStart(6, '0')}`;
      expect(cachedText(...at(s))).toBe(s);
    }
  });

  it('decodes UTF-8 and long text, and answers null for invalid UTF-8', () => {
    expect(cachedText(...at('兔子'))).toBe('兔子');
    const long = 'x'.repeat(300);
    expect(cachedText(...at(long))).toBe(long);
    expect(cachedText(...at(Buffer.from([0x61, 0xff, 0x62])))).toBeNull();
    expect(cachedText(...at('\uFEFFbom'))).toBe('\uFEFFbom');
  });

  it('agrees with Buffer#toString for any valid UTF-8 (fast-check)', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('a', 'b', 'ab', 'ba')), { maxLength: 30 }), (strs) => {
      for (const s of strs) {
        const b = Buffer.from(s, 'utf8');
        const want = b.toString('utf8') === s ? s : null;
        if (want !== null) expect(cachedText(...at(b))).toBe(want);
      }
    }));
  });
});
