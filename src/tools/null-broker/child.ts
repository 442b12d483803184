/**
 * Start the null broker for a run: in a child process when running compiled (its CPU is then not
 * the client's), in this process when running from TypeScript sources (tests).
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { listenNullBroker } from './server.js';

/** A running null broker. */
export interface NullBroker {
  readonly port: number;
  /** Where it runs: `child` (pid) or `in-process`. */
  readonly where: string;
  stop(): Promise<void>;
}

/** Start the null broker on 127.0.0.1 and a free port. */
export async function startNullBroker(): Promise<NullBroker> {
  const main = new URL('./main.js', import.meta.url);
  if (!import.meta.url.endsWith('.js')) {
    const server = await listenNullBroker(0);
    return { port: server.port, where: 'in-process', stop: () => server.close() };
  }
  const child = spawn(process.execPath, [fileURLToPath(main)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch (e) {
        reject(e);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the null broker exited (code ${code}) before listening`)));
  });
  return {
    port,
    where: `child pid ${child.pid}`,
    stop: async () => {
      child.stdin.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
