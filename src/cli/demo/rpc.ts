/**
 * Demo step for the seed's RPC: a fib server, and clients with both kinds of reply queue.
 * @packageDocumentation
 */
import { RpcError, createRpcClient, createRpcServer } from '../../index.js';
import { fibHandler } from '../fib.js';
import { check, list, type DemoContext, type DemoStep } from './context.js';

/** rpc_server.py / rpc_client.py: fib(30) = 832040 over a request queue and a reply queue. */
export const rpc: DemoStep = {
  title: 'RPC',
  seed: 'rpc_server.py / rpc_client.py',
  async run(ctx: DemoContext): Promise<void> {
    const queue = `${ctx.prefix}-rpc_queue`;
    ctx.cleanupQueue(queue);
    const server = await createRpcServer(ctx.consumer, queue, fibHandler((n) => ctx.log(`rpc_server  [.] fib(${n})`)), {
      prefetch: 1,
      onError: (err) => ctx.log(`rpc_server error: ${err.message}`),
    });
    ctx.log(`rpc_server  [x] Awaiting RPC requests on '${queue}' (prefetch 1)`);
    try {
      for (const replyQueue of ['direct', 'exclusive'] as const) {
        const client = await createRpcClient(ctx.producer, { replyQueue, timeout: 10_000 });
        ctx.log(`rpc_client (${replyQueue} reply-to ${client.replyTo})  [x] Requesting fib(30)`);
        const reply = await client.call(queue, '30');
        ctx.log(`rpc_client  [.] Got ${reply.text()}`);
        check(reply.text() === '832040', `fib(30) came back as '${reply.text()}', expected 832040`);
        await client.close();
      }

      const client = await createRpcClient(ctx.producer, { timeout: 10_000 });
      const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => client.call(queue, String(n))));
      const got = answers.map((m) => m.text());
      ctx.log(`rpc_client 10 calls in flight: fib(0..9) = ${got.join(' ')}`);
      check(got.join() === '0,1,1,2,3,5,8,13,21,34', `fib(0..9) came back as ${list(got)}`);

      const failed = await client.call(queue, 'thirty').then(() => null, (e: unknown) => e);
      check(failed instanceof RpcError, `a bad request should fail with RpcError, got ${String(failed)}`);
      ctx.log(`rpc_client 'thirty' -> RpcError: ${failed.message}`);
      const after = await client.call(queue, '10');
      check(after.text() === '55', `the server should go on after an error reply; fib(10) came back as '${after.text()}'`);
      ctx.log('rpc_client fib(10) after the error = 55: the server kept serving');
      await client.close();
    } finally {
      await server.close();
    }
  },
};
