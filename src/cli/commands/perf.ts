/**
 * `amqp-wire perf`: throughput and latency with RabbitMQ PerfTest's flags. The work is in
 * src/tools/perf; this is its place in the CLI.
 * @packageDocumentation
 */
import { AuthenticationError, ConnectError } from '../../index.js';
import { parsePerfArgs, PERF_HELP, PerfUsageError, type PerfConfig } from '../../tools/perf/flags.js';
import { runPerf } from '../../tools/perf/run.js';
import { CliUsageError, type BaseConfig } from '../args.js';
import { CannotConnectError } from '../broker.js';
import type { Command, RunContext } from '../command.js';

/** Parsed `perf` arguments. */
export interface PerfCommandConfig extends BaseConfig {
  perf: PerfConfig;
  argv: string[];
}

function parsePerf(argv: string[], env: Readonly<Record<string, string | undefined>>): PerfCommandConfig {
  try {
    const perf = parsePerfArgs(argv, env);
    return { help: perf.help, url: perf.uris[0]!, perf, argv };
  } catch (e) {
    if (e instanceof PerfUsageError) throw new CliUsageError(e.message);
    throw e;
  }
}

async function runPerfCommand(c: PerfCommandConfig, { io, signal }: RunContext): Promise<number> {
  try {
    return (await runPerf(c.perf, c.argv, io, signal)).code;
  } catch (e) {
    if (e instanceof ConnectError || e instanceof AuthenticationError) throw new CannotConnectError(c.url, e);
    throw e;
  }
}

/** `amqp-wire perf`. */
export const perfCommand: Command<PerfCommandConfig> = {
  name: 'perf',
  summary: "throughput and latency, driven by RabbitMQ PerfTest's flags",
  help: PERF_HELP,
  parse: parsePerf,
  run: runPerfCommand,
};
