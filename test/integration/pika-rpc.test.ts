/**
 * The seed's fib RPC across clients on one real RabbitMQ: pika's FibonacciRpcClient (exclusive
 * callback queue) against amqp-wire's rpcServer, and amqp-wire's rpcClient (both reply modes)
 * against pika's on_request server with basic_qos(prefetch_count=1).
 */
import { describe, expect, it } from 'vitest';
import { queueName } from '../support/names.js';
import { recordsOf, runPika, startPika, useInterop } from '../support/pika.js';
import { rabbitmqctl } from '../support/rabbitmqctl.js';

const ctx = useInterop('pika-rpc.test');

/** The seed's fib, as written there. */
function fib(n: number): number {
  if (n === 0) return 0;
  if (n === 1) return 1;
  return fib(n - 1) + fib(n - 2);
}

/** basic.qos prefetch_count of the one consumer on `queue`, as the broker lists it. */
async function consumerPrefetch(queue: string): Promise<number> {
  const out = await rabbitmqctl(['list_consumers', 'queue_name', 'prefetch_count', '--formatter', 'json']);
  const rows = (JSON.parse(out) as { queue_name: string; prefetch_count: number }[]).filter((r) => r.queue_name === queue);
  expect(rows, `consumers on ${queue}`).toHaveLength(1);
  return rows[0]!.prefetch_count;
}

const NUMBERS = Array.from({ length: 21 }, (_, n) => n);

describe('pika FibonacciRpcClient -> amqp-wire rpcServer (prefetch 1)', () => {
  it('answers fib(0..20) correctly, each reply under the correlation id of its request', async () => {
    const queue = queueName('pika-rpc-to-wire');
    ctx.queues.push(queue);
    const seen: { n: number; correlationId: string | undefined; replyTo: string | undefined }[] = [];
    const server = await ctx.conn.rpcServer(queue, (req) => {
      const n = Number(req.text());
      seen.push({ n, correlationId: req.properties.correlationId, replyTo: req.properties.replyTo });
      return fib(n);
    }, { prefetch: 1, queueOptions: { autoDelete: true } });
    // pika's client waits for each reply before the next call, so the handler never runs twice at
    // once whatever the prefetch: the broker's view of the server's consumer is what shows it.
    expect(await consumerPrefetch(queue)).toBe(1);

    const records = await runPika('rpc_client.py', { queue, numbers: NUMBERS }, { url: ctx.url });
    await server.close();

    const replies = recordsOf(records, 'reply');
    expect(recordsOf(records, 'stray')).toEqual([]);
    expect(replies.map((r) => r.n)).toEqual(NUMBERS);
    expect(replies.map((r) => r.body)).toEqual(NUMBERS.map((n) => String(fib(n))));
    for (const r of replies) {
      expect(r.correlationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(r.replyCorrelationId).toBe(r.correlationId);
      expect(r.replyTo).toMatch(/^amq\.gen-/);
    }
    // The server saw exactly the calls pika made: same order, ids and callback queue.
    expect(seen).toEqual(replies.map((r) => ({ n: r.n, correlationId: r.correlationId, replyTo: r.replyTo })));
    expect(server.handled).toBe(NUMBERS.length);
  });
});

describe.each(['direct', 'exclusive'] as const)('amqp-wire rpcClient (%s replies) -> pika on_request server', (replyQueue) => {
  it('gets fib(0..20) for 21 calls in flight at once, each reply carrying its own correlation id', async () => {
    const queue = queueName(`pika-rpc-to-pika-${replyQueue}`);
    ctx.queues.push(queue);
    const server = startPika('rpc_server.py', { queue, requests: NUMBERS.length }, { url: ctx.url });
    await server.waitFor('ready');
    const client = await ctx.conn.rpcClient({ replyQueue });

    const replies = await Promise.all(NUMBERS.map((n) => client.call(queue, String(n), { timeout: 15_000 })));
    expect(replies.map((m) => m.text())).toEqual(NUMBERS.map((n) => String(fib(n))));
    expect(client.discarded).toBe(0);
    await client.close();

    const requests = recordsOf(await server.ended, 'request');
    // prefetch_count=1: pika took the requests one at a time, in publish order.
    expect(requests.map((r) => r.n)).toEqual(NUMBERS);
    const ids = requests.map((r) => r.correlationId);
    expect(new Set(ids).size).toBe(NUMBERS.length);
    expect(replies.map((m) => m.properties.correlationId)).toEqual(ids);
    for (const r of requests) {
      if (replyQueue === 'direct') expect(r.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\./);
      else expect(r.replyTo).toBe(client.replyTo);
    }
    if (replyQueue === 'exclusive') expect(client.replyTo).toMatch(/^amq\.gen-/);
  });
});
