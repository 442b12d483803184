import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { ChannelClosedError, ClosedError, TimeoutError, UnroutableError } from '../../src/client/errors.js';
import type { Message } from '../../src/client/message.js';
import { RPC_ERROR_HEADER, RpcError } from '../../src/rpc/rpc.js';
import { createRpcClient, type RpcClient } from '../../src/rpc/rpc-client.js';
import { createRpcServer, type RpcHandler, type RpcServer } from '../../src/rpc/rpc-server.js';
import { AMQPError } from '../../src/frames/errors.js';
import { brokerUrl } from '../support/broker.js';
import { expectNoLeakedHandles, handleCounts, type HandleCounts } from '../support/guards.js';

/** The seed's fib, as written there. */
function fib(n: number): number {
  if (n === 0) return 0;
  if (n === 1) return 1;
  return fib(n - 1) + fib(n - 2);
}

const unique = (what: string): string => `amqp-wire-test-rpc-${what}-${randomUUID().slice(0, 8)}`;

let conn: Connection;
let baseline: HandleCounts;

beforeAll(async () => {
  baseline = handleCounts();
  conn = await connect(brokerUrl(), { name: 'rpc.test' });
});

afterAll(async () => {
  await conn.close();
  await expectNoLeakedHandles(baseline, 2000);
});

/** A server on a fresh auto-delete queue. */
async function serve(handler: RpcHandler, prefetch?: number): Promise<RpcServer> {
  const options = prefetch === undefined ? { queueOptions: { autoDelete: true } } : { prefetch, queueOptions: { autoDelete: true } };
  return createRpcServer(conn, unique('q'), handler, options);
}

/** A queue nobody consumes, gone with the connection. */
async function idleQueue(): Promise<string> {
  const ch = await conn.channel();
  const name = unique('idle');
  await ch.queueDeclare(name, { autoDelete: false, exclusive: true });
  await ch.close();
  return name;
}

describe.each(['direct', 'exclusive'] as const)('fib RPC with %s replies', (replyQueue) => {
  it('answers fib(30) = 832040, and 100 calls in flight each get their own answer', async () => {
    let running = 0;
    let maxRunning = 0;
    const server = await serve(async (req) => {
      maxRunning = Math.max(maxRunning, ++running);
      await sleep(1);
      running--;
      return fib(Number(req.text()));
    });
    const client = await createRpcClient(conn, { replyQueue });
    if (replyQueue === 'direct') expect(client.replyTo).toBe('amq.rabbitmq.reply-to');
    else expect(client.replyTo).toMatch(/^amq\.gen-/);

    expect((await client.call(server.queue, '30', { timeout: 10_000 })).text()).toBe('832040');

    const ns = Array.from({ length: 100 }, (_, i) => (i * 7) % 23);
    const calls = ns.map((n) => client.call(server.queue, String(n), { timeout: 20_000 }));
    expect(client.inFlight).toBe(100);
    const replies = await Promise.all(calls);
    expect(replies.map((m) => Number(m.text()))).toEqual(ns.map(fib));
    expect(maxRunning).toBe(1); // prefetch 1: one request at a time
    expect(server.handled).toBe(101);
    expect(client.discarded).toBe(0);

    await client.close();
    await server.close();
  });
});

describe('RPC server', () => {
  it('handles several requests at once when prefetch allows it; out-of-order replies find their calls', async () => {
    let running = 0;
    let maxRunning = 0;
    const order: string[] = [];
    const server = await serve(async (req) => {
      maxRunning = Math.max(maxRunning, ++running);
      // Later requests finish first: replies come back in a different order than the calls.
      await sleep(5 * (10 - Number(req.text().slice(1))));
      running--;
      order.push(req.text());
      return `reply ${req.text()}`;
    }, 5);
    const client = await createRpcClient(conn);
    const names = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const replies = await Promise.all(names.map((n) => client.call(server.queue, n)));
    expect(replies.map((m) => m.text())).toEqual(names.map((n) => `reply ${n}`));
    expect(order).not.toEqual(names);
    expect(maxRunning).toBe(5);
    await client.close();
    await server.close();
  });

  it('answers a throwing handler with an error reply the client raises as RpcError, and keeps serving', async () => {
    const server = await serve((req) => {
      if (req.text() === 'boom') throw new TypeError('cannot handle boom');
      return `echo ${req.text()}`;
    });
    const client = await createRpcClient(conn);

    const failed = await client.call(server.queue, 'boom').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RpcError);
    expect(failed).toBeInstanceOf(AMQPError);
    const err = failed as RpcError;
    expect(err.message).toContain('cannot handle boom');
    expect(err.remoteName).toBe('TypeError');
    expect(err.queue).toBe(server.queue);
    expect(err.correlationId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await client.call(server.queue, 'again')).text()).toBe('echo again');
    expect(server.handled).toBe(2);
    await client.close();
    await server.close();
  });

  it('sends the handler properties with the reply and always the request correlation id', async () => {
    const server = await serve(() => ({ body: '{"ok":true}', properties: { contentType: 'application/json', correlationId: 'not-mine' } }));
    const client = await createRpcClient(conn);
    const reply = await client.call(server.queue, 'x');
    expect(reply.json()).toEqual({ ok: true });
    expect(reply.properties.contentType).toBe('application/json');
    expect(reply.properties.correlationId).not.toBe('not-mine');
    await client.close();
    await server.close();
  });

  it('acks and reports a request without reply_to, then goes on serving', async () => {
    const reported: Array<{ err: Error; request: Message | null }> = [];
    const server = await createRpcServer(conn, unique('q'), (req) => req.body, {
      queueOptions: { autoDelete: true },
      onError: (err, request) => reported.push({ err, request }),
    });
    const ch = await conn.channel();
    ch.basicPublish('', server.queue, 'no reply_to here');
    const client = await createRpcClient(conn);
    expect((await client.call(server.queue, 'still here')).text()).toBe('still here');

    expect(reported).toHaveLength(1);
    expect(reported[0]!.err).toBeInstanceOf(RpcError);
    expect(reported[0]!.err.message).toContain('no reply_to');
    expect(reported[0]!.request?.text()).toBe('no reply_to here');
    const left = await ch.queueDeclare(server.queue, { passive: true });
    expect(left.messageCount).toBe(0); // acked, not requeued
    await ch.close();
    await client.close();
    await server.close();
  });
});

describe('RPC client', () => {
  it('rejects a call with TimeoutError, drops the late reply, and answers the next call with its own reply', async () => {
    const server = await serve(async (req) => {
      if (req.text() === 'slow') await sleep(400);
      return `reply to ${req.text()}`;
    });
    const client = await createRpcClient(conn);

    const slow = await client.call(server.queue, 'slow', { timeout: 100 }).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(TimeoutError);
    expect((slow as TimeoutError).timeoutMs).toBe(100);
    expect(client.inFlight).toBe(0);

    // Sent while the slow request is still being handled: the late reply arrives first.
    const next = await client.call(server.queue, 'fast', { timeout: 5000 });
    expect(next.text()).toBe('reply to fast');
    expect(client.discarded).toBe(1);
    await client.close();
    await server.close();
  });

  it('sets expiration from the timeout, so a request nobody took dies in the queue', async () => {
    let seen: string | undefined;
    const server = await serve((req) => {
      seen = req.properties.expiration;
      return 'ok';
    });
    const client = await createRpcClient(conn);
    await client.call(server.queue, 'x', { timeout: 4321 });
    expect(seen).toBe('4321');

    const queue = await idleQueue();
    await expect(client.call(queue, 'nobody home', { timeout: 150 })).rejects.toBeInstanceOf(TimeoutError);
    await sleep(250);
    const ch = await conn.channel();
    expect((await ch.queueDeclare(queue, { passive: true })).messageCount).toBe(0);
    await ch.close();
    await client.close();
    await server.close();
  });

  it('rejects an aborted call with the signal reason; the request stays queued without a timeout', async () => {
    const queue = await idleQueue();
    const client = await createRpcClient(conn);
    const ac = new AbortController();
    const call = client.call(queue, 'wait forever', { timeout: 0, signal: ac.signal });
    await sleep(50);
    const reason = new Error('user gave up');
    ac.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(client.inFlight).toBe(0);

    const ch = await conn.channel();
    const left = await ch.basicGet(queue, { noAck: true });
    expect(left?.text()).toBe('wait forever');
    expect(left?.properties.expiration).toBeUndefined();
    // The broker rewrites the pseudo-queue name into a routable reply key.
    expect(left?.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\./);
    await ch.close();

    await expect(client.call(queue, 'x', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await client.close();
  });

  it('drops the reply to an aborted call when it arrives later', async () => {
    const server = await serve(async (req) => {
      await sleep(150);
      return req.body;
    });
    const client = await createRpcClient(conn, { replyQueue: 'exclusive' });
    const ac = new AbortController();
    const call = client.call(server.queue, 'late', { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect((await client.call(server.queue, 'second')).text()).toBe('second');
    expect(client.discarded).toBe(1);
    await client.close();
    await server.close();
  });

  it('close() rejects every pending call, and later calls', async () => {
    const queue = await idleQueue();
    const client = await createRpcClient(conn);
    const calls = [1, 2, 3].map((i) => client.call(queue, String(i), { timeout: 0 }));
    const settled = Promise.allSettled(calls);
    await client.close();
    const results = await settled;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ChannelClosedError);
    }
    await expect(client.call(queue, 'after')).rejects.toBeInstanceOf(ChannelClosedError);
    expect(client.channel.isOpen).toBe(false);
  });

  it('rejects a call to a queue that does not exist with UnroutableError', async () => {
    const client = await createRpcClient(conn);
    const started = Date.now();
    const err = await client.call(unique('missing'), 'x', { timeout: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnroutableError);
    expect((err as UnroutableError).replyCode).toBe(312);
    expect(Date.now() - started).toBeLessThan(5000);
    await client.close();
  });

  it('raises RpcError for any reply carrying the error header', async () => {
    const server = await serve(() => ({ body: '', properties: { headers: { [RPC_ERROR_HEADER]: 'made by hand' } } }));
    const client = await createRpcClient(conn);
    await expect(client.call(server.queue, 'x')).rejects.toThrow(/made by hand/);
    await client.close();
    await server.close();
  });

  it('rejects pending calls when the connection goes away', async () => {
    const own = await connect(brokerUrl(), { name: 'rpc.test close' });
    const queue = await idleQueue();
    const client: RpcClient = await createRpcClient(own);
    const failed = client.call(queue, 'x', { timeout: 0 }).catch((e: unknown) => e);
    await own.close();
    const err = await failed;
    expect(err).toBeInstanceOf(ClosedError);
    expect(client.inFlight).toBe(0);
    await expect(client.call(queue, 'after')).rejects.toBeInstanceOf(ClosedError);
  });
});
