/**
 * `amqp-wire rpc-call`: the seed's rpc_client.py, one request and its reply.
 * @packageDocumentation
 */
import { createRpcClient } from '../../index.js';
import { COMMON_HELP, COMMON_OPTIONS, CliUsageError, ExitCode, intOption, parse, parseArgs, resolveUrl, type BaseConfig } from '../args.js';
import { openConnection } from '../broker.js';
import { aborted, type Command, type RunContext } from '../command.js';
import { reprBody, reprText } from '../format.js';

/** Parsed `rpc-call` arguments. */
export interface RpcCallConfig extends BaseConfig {
  queue: string;
  timeout: number;
  replyQueue: 'direct' | 'exclusive';
  body: string;
}

const HELP = `Usage: amqp-wire rpc-call [--queue rpc_queue] [--timeout ms] [--reply-queue direct|exclusive] [options] [request]

Send one request (default "30", for fib(30)) and print the reply, as the seed's rpc_client.py.

Options:
  -q, --queue Q          request queue (default rpc_queue)
      --timeout MS       give up after MS milliseconds; also the request's expiration (default 30000)
      --reply-queue M    direct: RabbitMQ direct reply-to (default); exclusive: a server-named
                         exclusive callback queue, as in the seed
${COMMON_HELP}

Output: " [x] Requesting fib(30)", then " [.] Got 832040".
Exit codes: 0 answered, 1 timeout / error reply / no such queue, 2 usage, 3 cannot connect, 130 interrupted.`;

const INTEGER = /^\d+$/;

function parseRpcCall(argv: string[], env: Readonly<Record<string, string | undefined>>): RpcCallConfig {
  const { values: v, positionals } = parse(() => parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      queue: { type: 'string', short: 'q', default: 'rpc_queue' },
      timeout: { type: 'string' },
      'reply-queue': { type: 'string', default: 'direct' },
    },
  }));
  const replyQueue = v['reply-queue'];
  if (replyQueue !== 'direct' && replyQueue !== 'exclusive') throw new CliUsageError(`--reply-queue must be direct or exclusive, got '${replyQueue}'`);
  return {
    help: v.help ?? false,
    url: resolveUrl(v.url, env),
    queue: v.queue,
    timeout: intOption(v.timeout, 'timeout', 1, 2_147_483_647) ?? 30_000,
    replyQueue,
    body: positionals.join(' ') || '30',
  };
}

async function runRpcCall(c: RpcCallConfig, { io, signal }: RunContext): Promise<number> {
  const conn = await openConnection(c.url, 'rpc-call');
  try {
    const client = await createRpcClient(conn, { replyQueue: c.replyQueue, timeout: c.timeout });
    io.out(INTEGER.test(c.body) ? ` [x] Requesting fib(${c.body})` : ` [x] Requesting ${reprText(c.body)}`);
    const reply = client.call(c.queue, c.body, { signal });
    const interrupted = aborted(signal).then(() => null);
    const got = await Promise.race([reply, interrupted]).catch((e: unknown) => {
      if (signal.aborted) return null;
      throw e;
    });
    if (got === null) {
      reply.catch(() => undefined);
      io.err('amqp-wire rpc-call: interrupted before the reply came');
      return ExitCode.INTERRUPTED;
    }
    const text = got.text();
    io.out(` [.] Got ${INTEGER.test(text) ? text : reprBody(got.body)}`);
    await client.close();
    return ExitCode.OK;
  } finally {
    await conn.close();
  }
}

/** `amqp-wire rpc-call`. */
export const rpcCallCommand: Command<RpcCallConfig> = {
  name: 'rpc-call',
  summary: 'send one RPC request and print the reply (rpc_client.py)',
  help: HELP,
  parse: parseRpcCall,
  run: runRpcCall,
};
