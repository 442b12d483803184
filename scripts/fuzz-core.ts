/**
 * The frame fuzzer's engine, shared by `scripts/fuzz.ts` and the unit suite's fuzz slice.
 *
 * Every input goes through a FrameParser in random chunks, and every frame it yields through
 * decodeMethod, decodeBasicDeliver, decodeContentHeader and readTable. The rules (R3): only
 * AMQPError subclasses may be thrown, no input may take longer than the time limit, no Buffer
 * allocation may exceed the parser's declared frame cap, and untouched valid traces must decode.
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import { FrameType } from '../src/frames/constants.js';
import { AMQPError, FrameError } from '../src/frames/errors.js';
import { readTable } from '../src/frames/field-table.js';
import { FrameParser, type FrameHandler } from '../src/frames/parser.js';
import { decodeContentHeader } from '../src/frames/properties.js';
import { Reader } from '../src/frames/reader.js';
import { decodeMethod } from '../src/methods/codec.js';
import { BASIC_DELIVER_KEY, decodeBasicDeliver } from '../src/methods/fast-path.js';
import { Rng, buildCorpus, nextInput, type Trace } from './fuzz-inputs.js';

/** Settings for {@link runFuzz}. */
export interface FuzzOptions {
  /** Inputs to try. */
  iterations: number;
  /** Seed of the input generator: the same seed replays the same inputs. */
  seed: number;
  /** The parser's frame cap, which is also the allocation cap (default 131072). */
  maxFrameSize?: number;
  /** Slowest acceptable input in milliseconds (default 50). */
  timeLimitMs?: number;
  /** Valid traces to mutate (default 512). */
  corpusSize?: number;
  /** One more decoder to run on every frame, held to the same rules (for testing the harness). */
  extraDecoder?: (type: number, buf: Buffer, start: number, end: number) => void;
  /** Called every `progressEvery` inputs. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

/** Why a run failed, with the input that did it. */
export interface FuzzFailure {
  kind: 'untyped-error' | 'too-slow' | 'over-allocation' | 'valid-rejected';
  iteration: number;
  detail: string;
  /** The whole input as hex. */
  input: string;
}

/** What a run saw. */
export interface FuzzReport {
  seed: number;
  inputs: number;
  bytes: number;
  frames: number;
  /** Decoder calls that returned a value. */
  decoded: number;
  durationMs: number;
  inputsPerSecond: number;
  /** Typed errors by class name (and reply code for FrameError). */
  errorsByClass: Record<string, number>;
  slowest: { ms: number; iteration: number; length: number; input: string };
  maxAllocation: number;
  allocationCap: number;
  timeLimitMs: number;
  failure: FuzzFailure | null;
}

/** Thrown out of the handler to stop an input once it has failed. */
class Stop extends Error {}

/** Wraps the Buffer allocators so that every allocation made while `on` is measured. */
class AllocationWatch {
  on = false;
  max = 0;
  private readonly saved: Array<[keyof typeof Buffer, unknown]> = [];

  install(): void {
    const watch = (name: 'alloc' | 'allocUnsafe' | 'allocUnsafeSlow' | 'from', sizeOf: (a: unknown) => number): void => {
      const original = Buffer[name] as (...args: unknown[]) => Buffer;
      this.saved.push([name, original]);
      const self = this;
      (Buffer as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]): Buffer {
        if (self.on) self.max = Math.max(self.max, sizeOf(args[0]));
        return original.apply(this, args);
      };
    };
    const size = (a: unknown): number => (typeof a === 'number' ? a : 0);
    watch('alloc', size);
    watch('allocUnsafe', size);
    watch('allocUnsafeSlow', size);
    watch('from', (a) => {
      if (typeof a === 'string') return Buffer.byteLength(a);
      if (a instanceof ArrayBuffer) return a.byteLength;
      return typeof (a as { length?: unknown })?.length === 'number' ? (a as { length: number }).length : 0;
    });
  }

  uninstall(): void {
    for (const [name, original] of this.saved) (Buffer as unknown as Record<string, unknown>)[name] = original;
    this.saved.length = 0;
  }
}

function className(e: AMQPError): string {
  return e instanceof FrameError ? `${e.name} ${e.replyCode}` : e.name;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : `non-Error thrown: ${String(e)}`;
}

/** Cut an input into chunks the way a socket might: whole, random reads, or tiny reads, as views into one pool. */
function chunk(rng: Rng, bytes: Buffer): Buffer[] {
  const roll = rng.int(100);
  if (roll < 55 || bytes.length === 0) return [bytes];
  const pool = Buffer.alloc(bytes.length + 64, 0xce);
  const offset = 1 + rng.int(32);
  bytes.copy(pool, offset);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = Math.min(bytes.length - at, roll < 85 ? 1 + rng.int(64) : 1 + rng.int(3));
    chunks.push(pool.subarray(offset + at, offset + at + n));
    at += n;
  }
  return chunks;
}

/** Runs one input; `tally` is null on timing re-runs so nothing is counted twice. */
class InputRun implements FrameHandler {
  failure: Omit<FuzzFailure, 'iteration' | 'input'> | null = null;
  frames = 0;
  decoded = 0;

  constructor(
    private readonly tally: Record<string, number> | null,
    private readonly mustDecode: boolean,
    private readonly extra: FuzzOptions['extraDecoder'],
  ) {}

  run(chunks: readonly Buffer[], cap: number): void {
    const parser = new FrameParser(cap);
    try {
      for (const c of chunks) parser.push(c, this);
    } catch (e) {
      if (!(e instanceof Stop)) this.record(e, 'FrameParser', false);
    }
    if (this.mustDecode && !this.failure && parser.midFrame) this.failure = { kind: 'valid-rejected', detail: 'valid trace left mid-frame' };
  }

  onFrame(type: number, _channel: number, buf: Buffer, start: number, end: number): void {
    this.frames++;
    if (type === FrameType.METHOD) {
      this.attempt('decodeMethod', () => decodeMethod(buf, start, end), false);
      if (end - start >= 4 && buf.readUInt32BE(start) === BASIC_DELIVER_KEY) {
        this.attempt('decodeBasicDeliver', () => decodeBasicDeliver(buf, start, end), false);
      }
      this.attempt('readTable', () => readTable(new Reader(buf, start + 4, end)), true);
    } else if (type === FrameType.HEADER) {
      this.attempt('decodeContentHeader', () => decodeContentHeader(buf, start, end), false);
    }
    this.attempt('readTable', () => readTable(new Reader(buf, start, end)), true);
    const extra = this.extra;
    if (extra) this.attempt('extraDecoder', () => extra(type, buf, start, end), true);
  }

  private attempt(what: string, fn: () => unknown, mayFail: boolean): void {
    try {
      fn();
      this.decoded++;
    } catch (e) {
      if (this.record(e, what, mayFail)) throw new Stop();
    }
  }

  /** Count a thrown error; true when it fails the input. */
  private record(e: unknown, what: string, mayFail: boolean): boolean {
    if (!(e instanceof AMQPError)) {
      this.failure = { kind: 'untyped-error', detail: `${what} threw ${describe(e)}` };
      return true;
    }
    if (this.tally) this.tally[className(e)] = (this.tally[className(e)] ?? 0) + 1;
    if (this.mustDecode && !mayFail) {
      this.failure = { kind: 'valid-rejected', detail: `${what} refused a valid trace: ${e.message}` };
      return true;
    }
    return false;
  }
}

const HEX_LIMIT = 4096;

function toHex(b: Buffer): string {
  return b.length > HEX_LIMIT ? `${b.subarray(0, HEX_LIMIT).toString('hex')}... (${b.length} bytes)` : b.toString('hex');
}

/** Run the fuzzer. Stops at the first failure; `report.failure` is null when every input passed. */
export function runFuzz(options: FuzzOptions): FuzzReport {
  const cap = options.maxFrameSize ?? 131072;
  const limit = options.timeLimitMs ?? 50;
  const rng = new Rng(options.seed);
  const corpus: Trace[] = buildCorpus(rng, options.corpusSize ?? 512, cap);
  const report: FuzzReport = {
    seed: options.seed, inputs: 0, bytes: 0, frames: 0, decoded: 0, durationMs: 0, inputsPerSecond: 0,
    errorsByClass: {}, slowest: { ms: 0, iteration: -1, length: 0, input: '' },
    maxAllocation: 0, allocationCap: cap, timeLimitMs: limit,
    failure: null,
  };
  const watch = new AllocationWatch();
  watch.install();
  // Capturing stacks is most of the cost of a thrown error; take them only to explain a failure.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const began = performance.now();
  try {
    for (let i = 0; i < options.iterations && report.failure === null; i++) {
      const input = nextInput(rng, corpus, cap);
      const chunks = chunk(rng, input.bytes);
      const run = new InputRun(report.errorsByClass, input.valid, options.extraDecoder);
      watch.on = true;
      const t0 = performance.now();
      run.run(chunks, cap);
      let ms = performance.now() - t0;
      watch.on = false;
      // Confirm anything slowish by re-timing it, so noise (GC, a busy machine) is not reported as cost.
      if (ms > limit / 4) ms = rerunMin(chunks, cap, ms, options.extraDecoder);
      report.inputs++;
      report.bytes += input.bytes.length;
      report.frames += run.frames;
      report.decoded += run.decoded;
      if (ms > report.slowest.ms) report.slowest = { ms, iteration: i, length: input.bytes.length, input: toHex(input.bytes) };
      const failure = run.failure
        ?? (ms > limit ? { kind: 'too-slow' as const, detail: `took ${ms.toFixed(1)} ms (limit ${limit} ms)` } : null)
        ?? (watch.max > cap ? { kind: 'over-allocation' as const, detail: `allocated ${watch.max} bytes (cap ${cap})` } : null);
      if (failure) {
        if (failure.kind === 'untyped-error') failure.detail = withStack(chunks, cap, stackTraceLimit, options.extraDecoder) ?? failure.detail;
        report.failure = { ...failure, iteration: i, input: toHex(input.bytes) };
      }
      if (options.onProgress && (i + 1) % (options.progressEvery ?? 100_000) === 0) options.onProgress(i + 1);
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    watch.uninstall();
  }
  report.maxAllocation = watch.max;
  report.durationMs = performance.now() - began;
  report.inputsPerSecond = Math.round(report.inputs / (report.durationMs / 1000));
  return report;
}

/** Run a failing input again with stack traces on, for the report. */
function withStack(
  chunks: readonly Buffer[], cap: number, stackTraceLimit: number, extra: FuzzOptions['extraDecoder'],
): string | undefined {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(stackTraceLimit, 20);
  try {
    const again = new InputRun(null, false, extra);
    again.run(chunks, cap);
    return again.failure?.detail;
  } finally {
    Error.stackTraceLimit = saved;
  }
}

/** A slow first run may be the GC or a busy machine: time the input three more times and keep the best. */
function rerunMin(chunks: readonly Buffer[], cap: number, first: number, extra: FuzzOptions['extraDecoder']): number {
  let best = first;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    new InputRun(null, false, extra).run(chunks, cap);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
