/**
 * A log-linear histogram of non-negative integers (nanoseconds here): bounded memory whatever the
 * number of samples, about 0.8% relative precision, mergeable, and plain data so it crosses a
 * `postMessage` as-is. Values below 256 are exact; above, each power of two has 128 buckets.
 * @packageDocumentation
 */

const HALF = 128;
const LOG_HALF = 7;
const EXACT = 2 * HALF;
/** Enough buckets for every safe integer. */
const SIZE = EXACT + (53 - (LOG_HALF + 1)) * HALF;

function indexOf(v: number): number {
  if (v < EXACT) return v;
  const b = Math.floor(Math.log2(v));
  const shift = b - LOG_HALF;
  const sub = Math.min(2 * HALF - 1, Math.floor(v / 2 ** shift));
  return EXACT + (b - (LOG_HALF + 1)) * HALF + (sub - HALF);
}

/** The middle of bucket `i`. */
function bucketValue(i: number): number {
  if (i < EXACT) return i;
  const octave = Math.floor((i - EXACT) / HALF);
  const shift = octave + 1;
  const lower = (HALF + ((i - EXACT) % HALF)) * 2 ** shift;
  return lower + 2 ** shift / 2;
}

/** The histogram as plain data (what a worker posts). */
export interface HistogramData {
  /** Sparse counts: [bucket, count] pairs. */
  buckets: [number, number][];
  count: number;
  min: number;
  max: number;
}

/** Percentiles of a histogram. */
export interface Percentiles {
  count: number;
  min: number;
  median: number;
  p75: number;
  p95: number;
  p99: number;
  max: number;
}

export class Histogram {
  private counts = new Float64Array(SIZE);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /** Record one value (negative values, from clock skew between processes, count as 0). */
  record(value: number): void {
    const v = value > 0 ? Math.round(value) : 0;
    this.counts[indexOf(v)]!++;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at or below which `q` (0..1) of the samples fall. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, bucketValue(i)));
    }
    return this.max;
  }

  percentiles(): Percentiles {
    return {
      count: this.count, min: this.count === 0 ? 0 : this.min, median: this.percentile(0.5), p75: this.percentile(0.75),
      p95: this.percentile(0.95), p99: this.percentile(0.99), max: this.max,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }

  /** Add another histogram's samples (live or as data). */
  add(other: Histogram | HistogramData): void {
    const data = other instanceof Histogram ? other.toData() : other;
    for (const [i, n] of data.buckets) this.counts[i]! += n;
    this.count += data.count;
    if (data.count > 0) {
      this.min = Math.min(this.min, data.min);
      this.max = Math.max(this.max, data.max);
    }
  }

  toData(): HistogramData {
    const buckets: [number, number][] = [];
    if (this.count > 0) for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, min: this.count === 0 ? 0 : this.min, max: this.max };
  }
}
