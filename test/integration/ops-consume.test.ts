/**
 * Consumers against a real RabbitMQ: basicConsume callbacks, noAck, basicCancel, the consume()
 * async iterator (prefetch, break, AbortSignal), and cancellation by the broker when the queue
 * goes away. Consumer and queue state are read back with passive declares.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConsumerCancelledError, type Channel, type Connection, type Message } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { queueName } from '../support/names.js';
import { rabbitmqctl } from '../support/rabbitmqctl.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

async function queueWith(ch: Channel, bodies: string[]): Promise<string> {
  const { queue } = await ch.queueDeclare('', { exclusive: true });
  await ch.confirmSelect();
  for (const body of bodies) void ch.publishConfirmed('', queue, body);
  await ch.waitForConfirms();
  return queue;
}

/** Message and consumer counts of `queue`, read on a channel of its own. */
async function counts(conn: Connection, queue: string): Promise<{ messageCount: number; consumerCount: number }> {
  const probe = await conn.channel();
  try {
    const { messageCount, consumerCount } = await probe.queueDeclare(queue, { passive: true });
    return { messageCount, consumerCount };
  } finally {
    await probe.close();
  }
}

/**
 * Waits until `queue` shows `expected` counts (at most 3 s), then asserts them. Acks, nacks and
 * closes travel through another channel than the probe's, so the broker may need a moment.
 */
async function expectCounts(conn: Connection, queue: string, expected: { messageCount: number; consumerCount: number }): Promise<void> {
  const deadline = Date.now() + 3000;
  let last = await counts(conn, queue);
  while ((last.messageCount !== expected.messageCount || last.consumerCount !== expected.consumerCount) && Date.now() < deadline) {
    await sleep(20);
    last = await counts(conn, queue);
  }
  expect(last).toEqual(expected);
}

/** messages_unacknowledged of `queue` after a round trip on `ch` (so its acks have been handled). */
async function unackedCount(ch: Channel, queue: string): Promise<number> {
  await ch.queueDeclare(queue, { passive: true });
  const out = await rabbitmqctl(['list_queues', 'name', 'messages_unacknowledged', '--formatter', 'json']);
  const row = (JSON.parse(out) as { name: string; messages_unacknowledged: number }[]).find((r) => r.name === queue);
  if (row === undefined) throw new Error(`queue ${queue} not listed by rabbitmqctl`);
  return row.messages_unacknowledged;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('basicConsume', () => {
  it('delivers in order to the callback with consumer tag and delivery fields', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['one', 'two']);
    const got: Message[] = [];
    const { consumerTag } = await ch.basicConsume(queue, (m) => { got.push(m); m.ack(); }, { consumerTag: 'my-tag' });
    expect(consumerTag).toBe('my-tag');
    await until(() => got.length === 2, 'two deliveries');
    expect(got.map((m) => m.text())).toEqual(['one', 'two']);
    expect(got[0]!.fields).toEqual({ consumerTag: 'my-tag', deliveryTag: 1, redelivered: false, exchange: '', routingKey: queue });
  });

  it('a server-generated consumer tag is returned when none is given', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const { consumerTag } = await ch.basicConsume(queue, () => undefined);
    expect(consumerTag).toMatch(/^amq\.ctag-/);
  });

  it('a noAck consumer leaves nothing unacked: closing its channel requeues nothing', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['a', 'b', 'c']);
    const got: string[] = [];
    await ch.basicConsume(queue, (m) => { got.push(m.text()); }, { noAck: true });
    await until(() => got.length === 3, 'three deliveries');
    expect(await unackedCount(ch, queue)).toBe(0);
    await ch.close();
    await expectCounts(conn, queue, { messageCount: 0, consumerCount: 0 });
  });

  it('unacked deliveries of a manual-ack consumer are requeued when its channel closes', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['a', 'b']);
    const got: Message[] = [];
    await ch.basicConsume(queue, (m) => { got.push(m); });
    await until(() => got.length === 2, 'two deliveries');
    got[0]!.ack();
    expect(await unackedCount(ch, queue)).toBe(1);
    await ch.close();
    await expectCounts(conn, queue, { messageCount: 1, consumerCount: 0 });
  });

  it('basicCancel stops deliveries and removes the consumer', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['before']);
    const got: string[] = [];
    const { consumerTag } = await ch.basicConsume(queue, (m) => { got.push(m.text()); }, { noAck: true });
    await until(() => got.length === 1, 'first delivery');
    await ch.basicCancel(consumerTag);
    await expectCounts(conn, queue, { messageCount: 0, consumerCount: 0 });
    ch.basicPublish('', queue, 'after');
    await sleep(100);
    expect(got).toEqual(['before']);
    await expectCounts(conn, queue, { messageCount: 1, consumerCount: 0 });
  });

  it('a callback that throws is reported on the channel and consumption goes on', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['boom', 'fine']);
    const errors: unknown[] = [];
    ch.on('error', (e) => errors.push(e));
    const got: string[] = [];
    await ch.basicConsume(queue, (m) => {
      got.push(m.text());
      if (m.text() === 'boom') throw new Error('listener bug');
    }, { noAck: true });
    await until(() => got.length === 2, 'both deliveries');
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('listener bug');
    expect(ch.isOpen).toBe(true);
  });

  it('an exclusive consumer locks out a second consumer with 403', async () => {
    const { conn, ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.basicConsume(queue, () => undefined, { exclusive: true });
    const other = await conn.channel();
    await expect(other.basicConsume(queue, () => undefined)).rejects.toMatchObject({
      name: 'ChannelClosedError', replyCode: 403, methodName: 'basic.consume',
    });
  });

  it('the broker cancels the consumer when its queue is deleted: cancel event, channel stays open', async () => {
    const { conn, ch } = await open();
    const q = queueName('server-cancel');
    await ch.queueDeclare(q);
    const cancelled = new Promise<unknown>((resolve) => ch.once('cancel', resolve));
    const { consumerTag } = await ch.basicConsume(q, () => undefined);
    const other = await conn.channel();
    await other.queueDelete(q);
    expect(await cancelled).toBe(consumerTag);
    expect(ch.isOpen).toBe(true);
    await expect(ch.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ consumerCount: 0 });
  });
});

describe('consume() iterator', () => {
  it('yields messages in order; break cancels the consumer and requeues what was prefetched', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['1', '2', '3', '4', '5', '6']);
    const seen: string[] = [];
    for await (const msg of ch.consume(queue, { prefetch: 3 })) {
      seen.push(msg.text());
      msg.ack();
      if (seen.length === 2) {
        // with prefetch 3 the broker has handed this consumer at most one more
        break;
      }
    }
    expect(seen).toEqual(['1', '2']);
    await expectCounts(conn, queue, { messageCount: 4, consumerCount: 0 });
    // the requeued ones come back first, in order
    const next = await ch.basicGet(queue, { noAck: true });
    expect(next?.text()).toBe('3');
  });

  it('prefetch bounds how many deliveries wait unacked in the iterator', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, Array.from({ length: 10 }, (_, i) => String(i)));
    const it = ch.consume(queue, { prefetch: 2 });
    const first = await it.next();
    expect(first.value?.text()).toBe('0');
    await sleep(150);
    // one handed out + one buffered = 2 unacked; 8 still ready in the queue
    expect((await counts(conn, queue)).messageCount).toBe(8);
    first.value!.ack();
    const second = await it.next();
    expect(second.value?.text()).toBe('1');
    second.value!.ack();
    await it.return();
    await expectCounts(conn, queue, { messageCount: 8, consumerCount: 0 });
  });

  it('an AbortSignal ends the loop and cancels the consumer', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['a']);
    const controller = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const msg of ch.consume(queue, { signal: controller.signal })) {
        seen.push(msg.text());
        msg.ack();
      }
    })();
    await until(() => seen.length === 1, 'first message');
    const abortReason = new Error('stop now');
    controller.abort(abortReason);
    await expect(loop).rejects.toBe(abortReason);
    await expectCounts(conn, queue, { messageCount: 0, consumerCount: 0 });
    expect(ch.isOpen).toBe(true);
  });

  it('an already aborted signal ends the loop before any message', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['a', 'b']);
    const seen: string[] = [];
    const signal = AbortSignal.abort();
    await expect((async () => {
      for await (const msg of ch.consume(queue, { signal })) seen.push(msg.text());
    })()).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([]);
    await sleep(50);
    await expectCounts(conn, queue, { messageCount: 2, consumerCount: 0 });
  });

  it('throws ConsumerCancelledError when the broker cancels the consumer (queue deleted)', async () => {
    const { conn, ch } = await open();
    const q = queueName('iterator-cancel');
    await ch.queueDeclare(q);
    const cancelEvents: unknown[] = [];
    ch.on('cancel', (tag) => cancelEvents.push(tag));
    const seen: string[] = [];
    const outcome = (async () => {
      for await (const msg of ch.consume(q)) {
        seen.push(msg.text());
        msg.ack();
      }
    })().then(() => null, (e: unknown) => e);
    ch.basicPublish('', q, 'only');
    await until(() => seen.length === 1, 'first message');
    const other = await conn.channel();
    await other.queueDelete(q);
    const err = await outcome;
    expect(err).toBeInstanceOf(ConsumerCancelledError);
    expect(cancelEvents).toEqual([(err as ConsumerCancelledError).consumerTag]);
    expect(ch.isOpen).toBe(true);
  });

  it('noAck iterator hands out messages that cannot be acked', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['x']);
    for await (const msg of ch.consume(queue, { noAck: true })) {
      expect(() => msg.ack()).toThrow(/noAck/);
      break;
    }
    await expect(ch.queueDeclare(queue, { passive: true })).resolves.toMatchObject({ messageCount: 0, consumerCount: 0 });
  });

  it('consuming a missing queue rejects the first next() with a 404', async () => {
    const { ch } = await open();
    const q = queueName('missing');
    const it = ch.consume(q);
    await expect(it.next()).rejects.toMatchObject({ name: 'ChannelClosedError', replyCode: 404, methodName: 'basic.consume' });
  });
});
