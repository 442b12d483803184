/**
 * The timing loop shared by every benchmark: run a batch of work over and over for a fixed wall
 * time and count what it did.
 * @packageDocumentation
 */

/** One batch of work; returns how many operations (messages, round trips, ...) it completed. */
export type Batch = () => number;

/** What a timed run did. */
export interface Measurement {
  /** Operations completed. */
  readonly ops: number;
  /** Wall time spent, in seconds. */
  readonly seconds: number;
  /** `ops / seconds`. */
  readonly opsPerSec: number;
}

/**
 * Run `batch` repeatedly until `ms` milliseconds have passed (at least once). The clock is read
 * between batches only, so a batch should take well under a millisecond to a few milliseconds:
 * long enough that reading the clock costs nothing, short enough not to overshoot.
 */
export function runFor(batch: Batch, ms: number): Measurement {
  const limit = BigInt(Math.round(ms * 1e6));
  const t0 = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0n;
  do {
    ops += batch();
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < limit);
  const seconds = Number(elapsed) / 1e9;
  return { ops, seconds, opsPerSec: ops / seconds };
}

/** Run a set of named batches for `ms` each, discarding the result: lets the JIT see every shape first. */
export function warmUp(batches: readonly Batch[], ms: number): void {
  if (ms <= 0) return;
  for (const b of batches) runFor(b, ms);
}

/** Resolve after pending I/O and timers had a chance to run (lets a progress line reach the terminal). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
