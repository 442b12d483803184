/**
 * The shape of a CLI command, and what a running command gets from `main`.
 * @packageDocumentation
 */
import type { BaseConfig } from './args.js';

/** Where a command writes: one line per call. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** What `main` hands a running command. */
export interface RunContext {
  io: Io;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: stop, close cleanly, return. */
  signal: AbortSignal;
}

/** One `amqp-wire <name>` command. */
export interface Command<C extends BaseConfig = BaseConfig> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Parse the arguments after the command name; throws CliUsageError. */
  parse(argv: string[], env: Readonly<Record<string, string | undefined>>): C;
  /** Run it; resolves the exit code. Errors it throws are mapped to exit codes by `main`. */
  run(config: C, ctx: RunContext): Promise<number>;
}

/** Resolves when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
