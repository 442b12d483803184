/**
 * Command-line flags every benchmark understands, plus whatever extra flags one bench declares.
 * @packageDocumentation
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Flags shared by all benchmarks. */
export interface CommonFlags {
  /** Measured time per case, milliseconds. */
  readonly timeMs: number;
  /** Warm-up time per case, milliseconds. */
  readonly warmupMs: number;
  /** Rounds to run; medians are reported. */
  readonly rounds: number;
  /** Print one JSON object on stdout instead of a table. */
  readonly json: boolean;
  /** Write a chart to this SVG file. */
  readonly svg: string | undefined;
  /** No progress lines on stderr. */
  readonly quiet: boolean;
}

/** Defaults a bench may override for its common flags. */
export interface CommonDefaults {
  timeMs?: number;
  warmupMs?: number;
  rounds?: number;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The text `--help` prints for the shared flags. */
export const COMMON_HELP = `  --time <ms>      measured time per case (default %time%)
  --warmup <ms>    warm-up per case before measuring (default %warmup%)
  --rounds <n>     repeat everything n times and report medians (default %rounds%)
  --json           print one JSON object on stdout instead of a table
  --svg <file>     write a chart of the results to an SVG file
  --quiet          no progress lines on stderr
  --help           this text`;

/** A flag value that is not a positive number. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

function positive(raw: unknown, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new FlagError(`--${flag} needs a number >= 0, got '${String(raw)}'`);
  return n;
}

/**
 * Parse `argv` for the common flags and `extra` ones. Prints `usage` (with the common flags'
 * defaults filled in) and exits on `--help`.
 */
export function parseBenchArgs(
  argv: readonly string[], usage: string, extra: Options, defaults: CommonDefaults = {},
): { common: CommonFlags; values: Record<string, string | boolean | undefined> } {
  const d = { timeMs: defaults.timeMs ?? 1500, warmupMs: defaults.warmupMs ?? 250, rounds: defaults.rounds ?? 1 };
  const options: Options = {
    time: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    json: { type: 'boolean', default: false },
    svg: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    ...extra,
  };
  const values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as
    Record<string, string | boolean | undefined>;
  if (values.help) {
    const common = COMMON_HELP.replace('%time%', String(d.timeMs)).replace('%warmup%', String(d.warmupMs)).replace('%rounds%', String(d.rounds));
    process.stdout.write(`${usage.trimEnd()}\n\nCommon flags:\n${common}\n`);
    process.exit(0);
  }
  const rounds = Math.max(1, Math.floor(positive(values.rounds, 'rounds', d.rounds)));
  const common: CommonFlags = {
    timeMs: positive(values.time, 'time', d.timeMs),
    warmupMs: positive(values.warmup, 'warmup', d.warmupMs),
    rounds,
    json: values.json === true,
    svg: typeof values.svg === 'string' ? values.svg : undefined,
    quiet: values.quiet === true,
  };
  return { common, values };
}
