/**
 * The fake broker of the client-ceiling benchmark, in a process of its own:
 * `node build/bench/client/fake-broker-server.js [--port n]`. Prints `{"port": n}` on stdout once
 * listening and runs until stdin closes (its parent went away) or SIGTERM. See `fake-session.ts`
 * for what it does with each connection.
 * @packageDocumentation
 */
import { createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { FakeSession } from './fake-session.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const server = createServer((socket) => new FakeSession(socket));
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
