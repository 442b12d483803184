/**
 * `await using`: every closeable object of the client closes gracefully when its scope ends,
 * also when the scope is left by a throw, and disposing twice (or after close()) is harmless.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connect, type Channel, type Connection, type Message } from '../../src/index.js';
import { brokerUrl } from '../support/broker.js';

const unique = (what: string): string => `amqp-wire-test-dispose-${what}-${randomUUID().slice(0, 8)}`;

/** Consumers on `queue`, as the broker counts them (a passive declare). */
async function consumerCount(ch: Channel, queue: string): Promise<number> {
  return (await ch.queueDeclare(queue, { passive: true })).consumerCount;
}

describe('await using', () => {
  it('closes a connection and its channel when the scope ends', async () => {
    let outer: Connection;
    let channel: Channel;
    {
      await using conn = await connect(brokerUrl(), { name: 'dispose.test' });
      await using ch = await conn.channel();
      outer = conn;
      channel = ch;
      expect(conn.isOpen).toBe(true);
      expect(ch.isOpen).toBe(true);
    }
    expect(channel.isOpen).toBe(false);
    expect(channel.closeReason?.replyCode).toBe(200);
    expect(outer.state).toBe('closed');
    expect(outer.isOpen).toBe(false);
  });

  it('closes on the way out of a throw, and a second dispose is harmless', async () => {
    let outer: Connection | undefined;
    await expect((async () => {
      await using conn = await connect(brokerUrl());
      outer = conn;
      throw new Error('boom');
    })()).rejects.toThrow('boom');
    expect(outer?.state).toBe('closed');
    await expect(outer![Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('cancels a callback consumer and an iterator when their scopes end', async () => {
    await using conn = await connect(brokerUrl());
    await using ch = await conn.channel();
    const queue = unique('consumers');
    await ch.queueDeclare(queue, { autoDelete: false });
    try {
      const got: Message[] = [];
      {
        await using consumer = await ch.basicConsume(queue, (m) => { got.push(m); }, { noAck: true });
        expect(consumer.consumerTag).not.toBe('');
        expect(await consumerCount(ch, queue)).toBe(1);
      }
      expect(await consumerCount(ch, queue)).toBe(0);
      expect(got).toEqual([]);

      ch.basicPublish('', queue, 'one');
      ch.basicPublish('', queue, 'two');
      {
        await using messages = ch.consume(queue, { prefetch: 2 });
        const first = await messages.next();
        if (first.done) throw new Error('the iterator ended early');
        expect(first.value.text()).toBe('one');
        first.value.ack();
        expect(await consumerCount(ch, queue)).toBe(1);
      }
      expect(await consumerCount(ch, queue)).toBe(0);
      // The second message was delivered into the iterator's buffer, never handed out: requeued.
      const left = await ch.basicGet(queue, { noAck: true });
      expect(left?.text()).toBe('two');
    } finally {
      await ch.queueDelete(queue);
    }
  });

  it('closes an RPC server and client', async () => {
    await using conn = await connect(brokerUrl());
    const queue = unique('rpc');
    let serverChannel: Channel;
    let clientChannel: Channel;
    {
      await using server = await conn.rpcServer(queue, (req) => ({ body: req.text().toUpperCase() }), { queueOptions: { autoDelete: true } });
      await using client = await conn.rpcClient();
      serverChannel = server.channel;
      clientChannel = client.channel;
      expect((await client.call(queue, 'ping')).text()).toBe('PING');
    }
    expect(serverChannel.isOpen).toBe(false);
    expect(clientChannel.isOpen).toBe(false);
    expect(conn.isOpen).toBe(true);
  });
});
