/**
 * The fake broker of the client-ceiling benchmark, in a process of its own:
 * `node build/bench/client/fake-broker-server.js [--port n]`. Prints `{"port": n}` on stdout once
 * listening and runs until stdin closes (its parent went away) or SIGTERM. It is the null broker
 * of `amqp-wire perf`: see `src/tools/null-broker/discard-session.ts` for what it does with each
 * connection.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { listenNullBroker } from '../../src/tools/null-broker/server.js';

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
