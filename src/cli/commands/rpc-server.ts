/**
 * `amqp-wire rpc-server`: the seed's rpc_server.py, serving Fibonacci numbers.
 * @packageDocumentation
 */
import { createRpcServer, type RpcHandler } from '../../index.js';
import { COMMON_HELP, COMMON_OPTIONS, ExitCode, intOption, parse, parseArgs, resolveUrl, type BaseConfig } from '../args.js';
import { openConnection } from '../broker.js';
import { aborted, type Command, type RunContext } from '../command.js';
import { FIB_MAX, fibHandler } from '../fib.js';

/** Parsed `rpc-server` arguments. */
export interface RpcServerConfig extends BaseConfig {
  queue: string;
  prefetch: number;
  durable: boolean;
  /** Stop after answering this many requests. */
  count: number | undefined;
}

const HELP = `Usage: amqp-wire rpc-server [--queue rpc_queue] [--prefetch 1] [--count N] [options]

Answer fib(n) requests on a queue until Ctrl-C (or --count N), as the seed's rpc_server.py:
each reply goes to the request's reply_to with its correlation_id, then the request is acked.
A bad request (not an integer, or n > ${FIB_MAX}) gets an error reply; the server goes on.

Options:
  -q, --queue Q          request queue (default rpc_queue)
  -p, --prefetch N       requests handled at once, basic.qos (default 1)
      --durable          declare the request queue durable
  -n, --count N          exit after answering N requests
${COMMON_HELP}

Output: " [x] Awaiting RPC requests", then " [.] fib(n)" for each request.
Exit codes: 0 after Ctrl-C or N requests, 1 broker error, 2 usage, 3 cannot connect.`;

function parseRpcServer(argv: string[], env: Readonly<Record<string, string | undefined>>): RpcServerConfig {
  const { values: v } = parse(() => parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      queue: { type: 'string', short: 'q', default: 'rpc_queue' },
      prefetch: { type: 'string', short: 'p' },
      durable: { type: 'boolean' },
      count: { type: 'string', short: 'n' },
    },
  }));
  return {
    help: v.help ?? false,
    url: resolveUrl(v.url, env),
    queue: v.queue,
    prefetch: intOption(v.prefetch, 'prefetch', 0, 65535) ?? 1,
    durable: v.durable ?? false,
    count: intOption(v.count, 'count', 1),
  };
}

async function runRpcServer(c: RpcServerConfig, { io, signal }: RunContext): Promise<number> {
  const conn = await openConnection(c.url, 'rpc-server');
  try {
    let served = 0;
    let enough!: () => void;
    const counted = new Promise<void>((resolve) => (enough = resolve));
    const fib = fibHandler((n) => io.out(` [.] fib(${n})`));
    const handler: RpcHandler = (request) => {
      try {
        return fib(request);
      } finally {
        // Error replies count too. Stop once this reply is out: close() waits for it.
        if (++served === c.count) setImmediate(enough);
      }
    };
    const server = await createRpcServer(conn, c.queue, handler, {
      prefetch: c.prefetch,
      queueOptions: { durable: c.durable },
      onError: (err) => io.err(`amqp-wire rpc-server: ${err.message}`),
    });
    const closed = new Promise<Error | undefined>((resolve) => server.channel.once('close', resolve));
    io.out(' [x] Awaiting RPC requests');
    const end = await Promise.race([counted.then(() => null), aborted(signal).then(() => null), closed.then((e) => e ?? null)]);
    if (end !== null) throw end;
    await server.close();
    return ExitCode.OK;
  } finally {
    await conn.close();
  }
}

/** `amqp-wire rpc-server`. */
export const rpcServerCommand: Command<RpcServerConfig> = {
  name: 'rpc-server',
  summary: 'answer fib(n) RPC requests on a queue (rpc_server.py)',
  help: HELP,
  parse: parseRpcServer,
  run: runRpcServer,
};
