/**
 * What every command shares: exit codes, the usage error, the broker URL, number options.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';

/** Exit codes of `amqp-wire`. */
export const ExitCode = {
  /** The command did what it was asked. */
  OK: 0,
  /** It ran and failed: a broker error, a timeout, an RPC error, a demo step that did not pass. */
  FAILURE: 1,
  /** Bad command line: unknown command or option, bad value, missing argument. */
  USAGE: 2,
  /** No AMQP connection: nothing answers at the URL, the login was refused, or the handshake failed. */
  CANNOT_CONNECT: 3,
  /** A one-shot command (publish, rpc-call, demo) was stopped by Ctrl-C before it finished. */
  INTERRUPTED: 130,
} as const;

/** The broker URL used when neither `--url` nor `AMQP_URL` gives one. */
export const DEFAULT_URL = 'amqp://guest:guest@localhost:5672/';

/** The command line is wrong: exit code 2, with the message and a pointer to `--help`. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** What every command's parsed configuration carries. */
export interface BaseConfig {
  /** `--help` was given: print the command's help and exit 0. */
  help: boolean;
  /** Broker URL: `--url`, else `AMQP_URL`, else {@link DEFAULT_URL}. */
  url: string;
}

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text lines for {@link COMMON_OPTIONS}. */
export const COMMON_HELP = [
  `  --url URL            broker URL (default: $AMQP_URL, else ${DEFAULT_URL})`,
  '  -h, --help           show this help',
].join('\n');

/** `node:util` parseArgs with its errors turned into {@link CliUsageError}. */
export function parse<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new CliUsageError((e as Error).message);
    throw e;
  }
}

/** Re-exported so commands import the parser and its error mapping from one place. */
export { parseArgs };

/** The broker URL: the flag, else `AMQP_URL`, else the default. */
export function resolveUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (flag !== undefined) {
    if (flag === '') throw new CliUsageError('--url must not be empty');
    return flag;
  }
  const fromEnv = env['AMQP_URL'];
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_URL : fromEnv;
}

/** An integer option within [min, max]; undefined when not given. */
export function intOption(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CliUsageError(`--${flag} must be a whole number, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new CliUsageError(`--${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Exchange types the broker always has. */
export const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers'] as const;

/**
 * `--type`: one of {@link EXCHANGE_TYPES} or a plugin type (`x-...`), default `direct` (the
 * protocol's and pika's).
 */
export function exchangeType(value: string | undefined): string {
  if (value === undefined) return 'direct';
  if (!(EXCHANGE_TYPES as readonly string[]).includes(value) && !value.startsWith('x-')) {
    throw new CliUsageError(`--type must be one of ${EXCHANGE_TYPES.join(', ')}, got '${value}'`);
  }
  return value;
}
