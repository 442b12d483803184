/**
 * What the example scripts share: where the broker is, `--count N`, Ctrl-C, and Python's repr()
 * so they print the same lines as the seed's pika scripts.
 * @packageDocumentation
 */
import { relative } from 'node:path';
import { AMQPError, AuthenticationError, connect, ConnectError, redactUrl, type Connection } from '../src/index.js';

export { reprBytes, reprText } from '../src/cli/format.js';

/**
 * The broker: `AMQP_URL`, else RabbitMQ on this machine with its default user. (The seed's
 * scripts connect to 192.168.40.128 as admin/123456: the author's lab machine.)
 */
export function amqpUrl(): string {
  return process.env['AMQP_URL'] || 'amqp://guest:guest@localhost:5672/';
}

/**
 * Connect to {@link amqpUrl}. When that fails, print one line saying why (and, when nothing
 * answers, how to start a broker) and exit 1: no stack trace for a wrong password or port.
 */
export async function openConnection(): Promise<Connection> {
  const url = amqpUrl();
  try {
    return await connect(url);
  } catch (e) {
    console.error(failureLine(e, redactUrl(url)));
    process.exit(1);
  }
}

function failureLine(e: unknown, url: string): string {
  if (e instanceof ConnectError && (e.kind === 'refused' || e.kind === 'timeout')) {
    return `${e.message}: no broker at ${url}. Start one with ` +
      "'apt-get install rabbitmq-server && rabbitmq-server -detached', or set AMQP_URL.";
  }
  if (e instanceof AuthenticationError) return `${url}: the broker refused the login; check the user and password in AMQP_URL`;
  if (e instanceof AMQPError) return `${url}: ${e.message}`;
  return `${url}: ${e instanceof Error ? e.message : String(e)}`;
}

/** The script's arguments without `--count N`, and N (undefined when not given). */
export function consumerArgs(argv: readonly string[] = process.argv.slice(2)): { args: string[]; count: number | undefined } {
  const args = [...argv];
  const at = args.indexOf('--count');
  if (at < 0) return { args, count: undefined };
  const count = Number(args[at + 1]);
  if (!Number.isInteger(count) || count < 1) {
    console.error('--count needs a whole number >= 1');
    process.exit(1);
  }
  args.splice(at, 2);
  return { args, count };
}

/** Prints `Usage: <this script> <args>` to stderr and exits 1, like the seed's `sys.exit(1)`. */
export function exitWithUsage(args: string): never {
  process.stderr.write(`Usage: ${relative(process.cwd(), process.argv[1]!)} ${args}\n`);
  process.exit(1);
}

/**
 * For consumers: `done` resolves on Ctrl-C (SIGINT) or, with a count, once `seen()` has been
 * called that many times. The caller then closes its connection and the script ends.
 */
export function untilStopped(count: number | undefined): { seen: () => void; done: Promise<void> } {
  let stop!: () => void;
  const done = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  void done.then(() => process.off('SIGINT', stop));
  let n = 0;
  return { seen: () => { if (++n === count) stop(); }, done };
}
