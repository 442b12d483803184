/**
 * The null broker in a process of its own, so its CPU is not counted as the client's:
 * `node dist/tools/null-broker/main.js [--port n]`. Prints `{"port": n}` on stdout once listening
 * and runs until stdin closes (its parent went away) or SIGTERM.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { listenNullBroker } from './server.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const server = await listenNullBroker(Number(values.port));
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
const stop = (): void => {
  void server.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
