import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../src/client/fifo.js';

describe('Fifo', () => {
  it('returns elements in the order they were pushed, undefined when empty', () => {
    const q = new Fifo<number>();
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.length).toBe(5);
    expect(q.peek()).toBe(0);
    expect([q.shift(), q.shift()]).toEqual([0, 1]);
    expect([...q]).toEqual([2, 3, 4]);
    expect(q.length).toBe(3);
  });

  it('grows past its initial capacity while the ring is wrapped around', () => {
    const q = new Fifo<number>(8);
    // Move the front to the middle of the ring, then fill it so the back wraps to index 0.
    for (let i = 0; i < 5; i++) q.push(i);
    for (let i = 0; i < 5; i++) expect(q.shift()).toBe(i);
    for (let i = 5; i < 13; i++) q.push(i);
    expect(q.length).toBe(8);
    q.push(13); // full: grows, unrolling the wrapped ring
    q.push(14);
    expect(q.drain()).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(q.length).toBe(0);
  });

  it('reads and replaces the i-th element from the front, across the wrap', () => {
    const q = new Fifo<string>(8);
    for (let i = 0; i < 6; i++) q.push(`a${i}`);
    q.shift();
    q.shift();
    for (let i = 6; i < 10; i++) q.push(`a${i}`); // wraps
    expect(q.at(0)).toBe('a2');
    expect(q.at(7)).toBe('a9');
    expect(q.at(8)).toBeUndefined();
    expect(q.at(-1)).toBeUndefined();
    q.set(7, 'z');
    expect(q.at(7)).toBe('z');
    expect(() => q.set(8, 'no')).toThrow(RangeError);
    expect(() => q.set(-1, 'no')).toThrow(RangeError);
  });

  it('gives back room after a burst: shift stays cheap and the capacity shrinks', () => {
    const q = new Fifo<number>();
    const n = 1_000_000;
    for (let i = 0; i < n; i++) q.push(i);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += q.shift()!;
    expect(sum).toBe((n * (n - 1)) / 2);
    expect(q.length).toBe(0);
    // Internal room is back to the minimum: a test of the shrink rule, through the only view we have.
    expect((q as unknown as { items: unknown[] }).items.length).toBe(8);
  });

  it('behaves as an array used as a queue (fast-check model)', () => {
    type Op = { op: 'push'; v: number } | { op: 'shift' } | { op: 'at'; i: number } | { op: 'set'; i: number; v: number } | { op: 'drain' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.integer().map((v) => ({ op: 'push' as const, v })) },
      { weight: 4, arbitrary: fc.constant({ op: 'shift' as const }) },
      { weight: 2, arbitrary: fc.nat(40).map((i) => ({ op: 'at' as const, i })) },
      { weight: 1, arbitrary: fc.tuple(fc.nat(40), fc.integer()).map(([i, v]) => ({ op: 'set' as const, i, v })) },
      { weight: 1, arbitrary: fc.constant({ op: 'drain' as const }) },
    );
    fc.assert(fc.property(fc.nat(20), fc.array(op, { maxLength: 400 }), (cap, ops) => {
      const q = new Fifo<number>(cap);
      const model: number[] = [];
      for (const o of ops) {
        switch (o.op) {
          case 'push': q.push(o.v); model.push(o.v); break;
          case 'shift': expect(q.shift()).toBe(model.shift()); break;
          case 'at': expect(q.at(o.i)).toBe(model[o.i]); break;
          case 'set':
            if (o.i < model.length) { q.set(o.i, o.v); model[o.i] = o.v; } else expect(() => q.set(o.i, o.v)).toThrow(RangeError);
            break;
          case 'drain': expect(q.drain()).toEqual(model.splice(0)); break;
        }
        expect(q.length).toBe(model.length);
        expect(q.peek()).toBe(model[0]);
      }
      expect([...q]).toEqual(model);
    }));
  });
});
