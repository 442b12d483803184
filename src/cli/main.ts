#!/usr/bin/env node
/**
 * `amqp-wire`: the command line. `amqp-wire <command> [options]`; `amqp-wire <command> --help`.
 * @packageDocumentation
 */
import { ExitCode } from './args.js';
import type { Io } from './command.js';
import { runProgram } from './program.js';

const stdio: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

runProgram(process.argv.slice(2), stdio, process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    stdio.err(`amqp-wire: internal error: ${(e as Error)?.stack ?? String(e)}`);
    process.exitCode = ExitCode.FAILURE;
  },
);
