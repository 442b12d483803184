/**
 * The `amqp-wire` program: command lookup, help, argument errors, Ctrl-C, and exit codes.
 * `main.ts` runs it with the process's arguments.
 * @packageDocumentation
 */
import { VERSION } from '../index.js';
import { type BaseConfig, CliUsageError, ExitCode } from './args.js';
import { describeFailure } from './broker.js';
import type { Command, Io } from './command.js';
import { consumeCommand } from './commands/consume.js';
import { demoCommand } from './commands/demo.js';
import { perfCommand } from './commands/perf.js';
import { publishCommand } from './commands/publish.js';
import { rpcCallCommand } from './commands/rpc-call.js';
import { rpcServerCommand } from './commands/rpc-server.js';
import { traceCommand } from './commands/trace.js';

/** Every command, by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  ([publishCommand, consumeCommand, rpcServerCommand, rpcCallCommand, demoCommand, traceCommand, perfCommand] as unknown as Command[]).map((c) => [c.name, c]),
);

/** The top-level help. */
export function mainHelp(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((n) => n.length)) + 2;
  return [
    'Usage: amqp-wire <command> [options]',
    '',
    'AMQP 0-9-1 from the command line, with the patterns of the RabbitMQ tutorial.',
    '',
    'Commands:',
    ...[...COMMANDS.values()].map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'amqp-wire <command> --help' for a command's options. Every command takes --url URL",
    '(default: $AMQP_URL, else amqp://guest:guest@localhost:5672/).',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage error, 3 cannot connect to the broker, 130 interrupted.',
  ].join('\n');
}

/** Run `amqp-wire` with `argv` (the arguments after the program name); resolves the exit code. */
export async function runProgram(argv: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return ExitCode.OK;
  }
  if (name === '--version' || name === '-V') {
    io.out(VERSION);
    return ExitCode.OK;
  }
  const command = name === undefined ? undefined : COMMANDS.get(name);
  if (command === undefined) {
    io.err(name === undefined ? 'amqp-wire: no command given' : `amqp-wire: unknown command '${name}'`);
    io.err(mainHelp());
    return ExitCode.USAGE;
  }
  let config: BaseConfig;
  try {
    config = command.parse(rest, env);
  } catch (e) {
    if (!(e instanceof CliUsageError)) throw e;
    io.err(`amqp-wire ${command.name}: ${e.message}`);
    io.err(`Run 'amqp-wire ${command.name} --help' for its options.`);
    return ExitCode.USAGE;
  }
  if (config.help) {
    io.out(command.help);
    return ExitCode.OK;
  }
  const interrupt = new AbortController();
  const onSignal = (): void => {
    // A second Ctrl-C does not wait for a clean close.
    if (interrupt.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await command.run(config, { io, signal: interrupt.signal });
  } catch (e) {
    const failure = describeFailure(e);
    io.err(`amqp-wire ${command.name}: ${failure.line}`);
    return failure.code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
