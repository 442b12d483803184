/**
 * What a run counts: messages sent, returned, confirmed, nacked, timed out and received, with
 * consumer and confirm latency histograms. A thread's {@link Counters} are taken as a
 * {@link Sample} each interval (and reset); samples from several threads are summed with
 * {@link mergeSamples}, histograms merged bucket by bucket, never percentiles averaged.
 * @packageDocumentation
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Histogram, type HistogramData } from './histogram.js';

/** Counts of one interval. */
export interface Counts {
  sent: number;
  returned: number;
  confirmed: number;
  nacked: number;
  confirmTimeouts: number;
  received: number;
}

/** One thread's interval, as plain data. */
export interface Sample extends Counts {
  /** Consumer latency, ns. */
  consumerLatency: HistogramData;
  /** Confirm latency, ns. */
  confirmLatency: HistogramData;
  /** Event-loop delay of the thread(s), ns: the worst p99 and max. */
  loopDelayP99: number;
  loopDelayMax: number;
}

export function zeroCounts(): Counts {
  return { sent: 0, returned: 0, confirmed: 0, nacked: 0, confirmTimeouts: 0, received: 0 };
}

/** The live counters of one thread. */
export class Counters implements Counts {
  sent = 0;
  returned = 0;
  confirmed = 0;
  nacked = 0;
  confirmTimeouts = 0;
  received = 0;
  readonly consumerLatency = new Histogram();
  readonly confirmLatency = new Histogram();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.loop.enable();
  }

  /** This interval's figures; the counters start again from zero. */
  take(): Sample {
    const s: Sample = {
      sent: this.sent, returned: this.returned, confirmed: this.confirmed, nacked: this.nacked,
      confirmTimeouts: this.confirmTimeouts, received: this.received,
      consumerLatency: this.consumerLatency.toData(), confirmLatency: this.confirmLatency.toData(),
      loopDelayP99: this.loop.count > 0 ? this.loop.percentile(99) : 0, loopDelayMax: this.loop.count > 0 ? this.loop.max : 0,
    };
    this.sent = this.returned = this.confirmed = this.nacked = this.confirmTimeouts = this.received = 0;
    this.consumerLatency.reset();
    this.confirmLatency.reset();
    this.loop.reset();
    return s;
  }

  stop(): void {
    this.loop.disable();
  }
}

/** Samples of the same interval from several threads, summed. */
export function mergeSamples(samples: readonly Sample[]): { counts: Counts; consumerLatency: Histogram; confirmLatency: Histogram; loopDelayP99: number; loopDelayMax: number } {
  const counts = zeroCounts();
  const consumerLatency = new Histogram();
  const confirmLatency = new Histogram();
  let loopDelayP99 = 0;
  let loopDelayMax = 0;
  for (const s of samples) {
    for (const k of Object.keys(counts) as (keyof Counts)[]) counts[k] += s[k];
    consumerLatency.add(s.consumerLatency);
    confirmLatency.add(s.confirmLatency);
    loopDelayP99 = Math.max(loopDelayP99, s.loopDelayP99);
    loopDelayMax = Math.max(loopDelayMax, s.loopDelayMax);
  }
  return { counts, consumerLatency, confirmLatency, loopDelayP99, loopDelayMax };
}

/** Process-wide figures between two calls: CPU (all threads) and memory. */
export class ProcessMeter {
  private cpu = process.cpuUsage();

  /** CPU µs since the last call, and memory now. */
  take(): { cpuMicros: number; rss: number; heapUsed: number } {
    const d = process.cpuUsage(this.cpu);
    this.cpu = process.cpuUsage();
    const m = process.memoryUsage();
    return { cpuMicros: d.user + d.system, rss: m.rss, heapUsed: m.heapUsed };
  }
}
