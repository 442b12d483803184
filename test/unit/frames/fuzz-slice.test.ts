import { describe, expect, it } from 'vitest';
import { FrameType } from '../../../src/frames/constants.js';
import { runFuzz, type FuzzReport } from '../../../scripts/fuzz-core.js';

/** Fail with the seed and the offending input, so a red run can be replayed with `npm run fuzz -- --seed`. */
function expectPass(r: FuzzReport): void {
  if (r.failure) {
    expect.fail(`fuzz seed ${r.seed}, input #${r.failure.iteration}: ${r.failure.kind}: ${r.failure.detail}\ninput hex: ${r.failure.input}`);
  }
}

describe('frame fuzzer, unit-suite slice (R3)', () => {
  it('20,000 random and mutated inputs give only typed errors, quickly, within the allocation cap', { timeout: 60_000 }, () => {
    const r = runFuzz({ iterations: 20_000, seed: 0x5eed_0001 });
    expectPass(r);
    expect(r.inputs).toBe(20_000);
    // The slowest input is the JIT warming up (about 17 ms on an idle machine); 250 ms leaves room
    // for a loaded one and still fails an input that makes decoding super-linear or hang.
    expect(r.slowest.ms).toBeLessThanOrEqual(250);
    expect(r.maxAllocation).toBeLessThanOrEqual(r.allocationCap);
    // The inputs reach every layer: framing errors, field errors, unknown methods, version headers,
    // and plenty of frames that decode cleanly.
    expect(r.errorsByClass['FrameError 501']).toBeGreaterThan(100);
    expect(r.errorsByClass['FrameError 502']).toBeGreaterThan(1000);
    expect(r.errorsByClass['FrameError 503']).toBeGreaterThan(10);
    expect(r.errorsByClass.ProtocolVersionError).toBeGreaterThan(10);
    expect(r.decoded).toBeGreaterThan(20_000);
    expect(Object.keys(r.errorsByClass).every((k) => /^(FrameError \d{3}|ProtocolVersionError)$/.test(k))).toBe(true);
  });

  it('replays the same inputs from the same seed', { timeout: 60_000 }, () => {
    const a = runFuzz({ iterations: 2000, seed: 42 });
    const b = runFuzz({ iterations: 2000, seed: 42 });
    expect([b.bytes, b.frames, b.decoded, b.errorsByClass]).toEqual([a.bytes, a.frames, a.decoded, a.errorsByClass]);
    expect(runFuzz({ iterations: 2000, seed: 43 }).bytes).not.toBe(a.bytes);
  });
});

describe('frame fuzzer: the harness catches what it is meant to catch', () => {
  it('fails on an untyped error and shows the input and the stack', () => {
    const r = runFuzz({
      iterations: 5000, seed: 7,
      extraDecoder: (type, buf, start) => {
        if (type === FrameType.BODY) buf.readUInt32BE(start - 100);
      },
    });
    expect(r.failure?.kind).toBe('untyped-error');
    expect(r.failure?.detail).toMatch(/extraDecoder threw RangeError/);
    expect(r.failure?.detail).toMatch(/at .*fuzz-slice\.test\.ts/);
    expect(r.failure?.input).toMatch(/^[0-9a-f]+/);
    expect(r.inputs).toBe(r.failure!.iteration + 1);
  });

  it('fails on an input slower than the limit', () => {
    const r = runFuzz({
      iterations: 5000, seed: 7, timeLimitMs: 20,
      extraDecoder: (type) => {
        if (type !== FrameType.BODY) return;
        const until = performance.now() + 25;
        while (performance.now() < until) { /* spin */ }
      },
    });
    expect(r.failure?.kind).toBe('too-slow');
    expect(r.slowest.ms).toBeGreaterThan(20);
  });

  it('fails on an allocation above the cap, and puts Buffer back afterwards', () => {
    const allocUnsafe = Buffer.allocUnsafe;
    const from = Buffer.from;
    const r = runFuzz({
      iterations: 5000, seed: 7, maxFrameSize: 8192,
      extraDecoder: (type) => {
        if (type === FrameType.HEARTBEAT) Buffer.alloc(8193);
      },
    });
    expect(r.failure?.kind).toBe('over-allocation');
    expect(r.failure?.detail).toMatch(/allocated 8193 bytes \(cap 8192\)/);
    expect(Buffer.allocUnsafe).toBe(allocUnsafe);
    expect(Buffer.from).toBe(from);
  });
});
