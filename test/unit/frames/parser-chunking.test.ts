import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameParser } from '../../../src/frames/parser.js';
import { applyChunking, arbChunking, arbFrameTrace, encodeTrace, parseFrames } from '../../support/arbitraries.js';

describe('FrameParser chunking invariance (R1)', () => {
  it('reports the same frames however the stream is cut, 10,000 traces', { timeout: 60_000 }, () => {
    let runs = 0;
    let chunksFed = 0;
    fc.assert(
      fc.property(arbFrameTrace(), arbChunking(), (trace, plan) => {
        runs++;
        const bytes = encodeTrace(trace);
        const chunks = applyChunking(bytes, plan);
        chunksFed += chunks.length;
        const parser = new FrameParser();
        expect(parseFrames(chunks, parser)).toEqual(trace);
        expect(parser.midFrame).toBe(false);
      }),
      { numRuns: 10_000 },
    );
    expect(runs).toBe(10_000);
    expect(chunksFed).toBeGreaterThan(10_000);
  });

  it('cuts every 7-byte header over three reads and still agrees', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(arbFrameTrace({ maxFrames: 6 }), fc.boolean(), (trace, pooled) => {
        const bytes = encodeTrace(trace);
        // Cut each header at 2 and 5: reads of 2, 3 and 2 bytes, then the rest of the frame.
        const sizes: number[] = [];
        for (const f of trace) sizes.push(2, 3, 2, f.payload.length + 1);
        const chunks = applyChunking(bytes, { sizes: sizes.length ? sizes : [1], pooled, gap: 5, empties: false });
        expect(chunks.filter((c) => c.length === 3).length).toBeGreaterThanOrEqual(trace.length);
        expect(parseFrames(chunks)).toEqual(trace);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads chunks that are views into a pool at non-zero offsets, not past their end', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(arbFrameTrace(), arbChunking(), (trace, plan) => {
        const chunks = applyChunking(encodeTrace(trace), { ...plan, pooled: true });
        for (const c of chunks) if (c.length > 0) expect(c.byteOffset).toBeGreaterThan(0);
        expect(parseFrames(chunks)).toEqual(trace);
      }),
      { numRuns: 1000 },
    );
  });
});
