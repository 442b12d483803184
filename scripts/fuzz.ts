/**
 * Frame fuzzer (R3): `npm run fuzz -- [--iterations N] [--seed S] [--max-frame-size B] [--json]`.
 *
 * Throws random and mutated byte streams at the frame parser and every decoder. Exits 1, printing
 * the offending input as hex, when something other than an AMQPError is thrown, an input takes
 * more than 50 ms, a Buffer allocation exceeds the frame cap, or a valid trace is refused.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { runFuzz, type FuzzReport } from './fuzz-core.js';

function readOptions(): { iterations: number; seed: number; maxFrameSize: number; json: boolean } {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '1000000' },
      seed: { type: 'string' },
      'max-frame-size': { type: 'string', default: '131072' },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) {
      process.stderr.write(`fuzz: --${name} must be an integer >= ${min}, got '${text}'\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    iterations: int('iterations', values.iterations, 1),
    seed: values.seed === undefined ? Math.floor(Math.random() * 0x100000000) : int('seed', values.seed, 0) >>> 0,
    maxFrameSize: int('max-frame-size', values['max-frame-size'], 4096),
    json: values.json,
  };
}

function printSummary(r: FuzzReport): void {
  const lines = [
    `inputs        ${r.inputs.toLocaleString('en')} (${r.bytes.toLocaleString('en')} bytes, ${r.frames.toLocaleString('en')} frames, ${r.decoded.toLocaleString('en')} clean decodes)`,
    `seed          ${r.seed}`,
    `time          ${(r.durationMs / 1000).toFixed(1)} s, ${r.inputsPerSecond.toLocaleString('en')} inputs/s`,
    `slowest       ${r.slowest.ms.toFixed(2)} ms (input #${r.slowest.iteration}, ${r.slowest.length} bytes; over ${(r.timeLimitMs / 4).toFixed(1)} ms is re-timed, best of 4)`,
    `max alloc     ${r.maxAllocation.toLocaleString('en')} bytes (cap ${r.allocationCap.toLocaleString('en')})`,
    'typed errors by class:',
    ...Object.entries(r.errorsByClass)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `  ${name.padEnd(28)} ${n.toLocaleString('en')}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const opts = readOptions();
if (!opts.json) process.stderr.write(`fuzz: ${opts.iterations.toLocaleString('en')} inputs, seed ${opts.seed}\n`);
const report = runFuzz({
  iterations: opts.iterations,
  seed: opts.seed,
  maxFrameSize: opts.maxFrameSize,
  progressEvery: 100_000,
  ...(opts.json ? {} : { onProgress: (n: number) => process.stderr.write(`  ${n.toLocaleString('en')}\n`) }),
});
if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else printSummary(report);
if (report.failure) {
  const f = report.failure;
  process.stderr.write(`\nFAIL ${f.kind} at input #${f.iteration} (seed ${report.seed}): ${f.detail}\ninput hex: ${f.input}\n`);
  process.exitCode = 1;
} else if (!opts.json) {
  process.stdout.write('PASS: only typed errors, no input over 50 ms, no allocation over the cap\n');
}
