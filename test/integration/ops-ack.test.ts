/**
 * Acknowledgements against a real RabbitMQ: ack (single and multiple), nack and reject with and
 * without requeue (dead-lettering), basic.recover, basic.qos, and the local guards that keep a
 * double ack or an ack of a noAck delivery from costing the channel a 406.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError, type Channel, type Connection, type Message } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { rabbitmqctl } from '../support/rabbitmqctl.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

/** An exclusive server-named queue holding `bodies`, published with confirms so they are all in. */
async function queueWith(ch: Channel, bodies: string[], args = {}): Promise<string> {
  const { queue } = await ch.queueDeclare('', { exclusive: true, arguments: args });
  await ch.confirmSelect();
  for (const body of bodies) void ch.publishConfirmed('', queue, body);
  await ch.waitForConfirms();
  return queue;
}

/**
 * Ready messages in `queue` once they reach `expected` (polled for at most 3 s: requeues after a
 * channel closes reach the queue asynchronously), read with passive declares on a channel of its own.
 */
async function ready(conn: Connection, queue: string, expected: number): Promise<number> {
  const probe = await conn.channel();
  try {
    const deadline = Date.now() + 3000;
    for (;;) {
      const { messageCount } = await probe.queueDeclare(queue, { passive: true });
      if (messageCount === expected || Date.now() > deadline) return messageCount;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await probe.close();
  }
}

/**
 * Ready and unacknowledged counts as the queue process itself reports them. A passive declare on
 * `ch` first makes sure the broker has handled every ack, nack and reject sent on `ch` before.
 */
async function stats(ch: Channel, queue: string): Promise<{ ready: number; unacked: number }> {
  await ch.queueDeclare(queue, { passive: true });
  const out = await rabbitmqctl(['list_queues', 'name', 'messages_ready', 'messages_unacknowledged', '--formatter', 'json']);
  const row = (JSON.parse(out) as { name: string; messages_ready: number; messages_unacknowledged: number }[]).find((r) => r.name === queue);
  if (row === undefined) throw new Error(`queue ${queue} not listed by rabbitmqctl`);
  return { ready: row.messages_ready, unacked: row.messages_unacknowledged };
}

/** Collects deliveries of a callback consumer; `next(n)` waits until n have arrived. */
function collector() {
  const got: Message[] = [];
  let wake: (() => void) | null = null;
  return {
    got,
    onMessage: (msg: Message) => {
      got.push(msg);
      wake?.();
    },
    async next(n: number, timeoutMs = 5000): Promise<Message[]> {
      const deadline = Date.now() + timeoutMs;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${got.length} of ${n} deliveries within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return got.slice(0, n);
    },
  };
}

describe('ack', () => {
  it('a manual-ack consumer acks each delivery; the queue ends empty with nothing unacked', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['a', 'b', 'c']);
    const c = collector();
    await ch.basicConsume(queue, (msg) => {
      c.onMessage(msg);
      msg.ack();
    });
    const msgs = await c.next(3);
    expect(msgs.map((m) => m.text())).toEqual(['a', 'b', 'c']);
    expect(msgs.map((m) => m.fields.deliveryTag)).toEqual([1, 2, 3]);
    expect(msgs.every((m) => m.fields.redelivered === false && typeof m.fields.consumerTag === 'string')).toBe(true);
    expect(await stats(ch, queue)).toEqual({ ready: 0, unacked: 0 });
    await ch.close();
    expect(await ready(conn, queue, 0)).toBe(0);
  });

  it('ack with multiple settles every earlier delivery', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['1', '2', '3', '4']);
    const c = collector();
    await ch.basicConsume(queue, c.onMessage);
    const msgs = await c.next(4);
    ch.basicAck(msgs[2]!.fields.deliveryTag, { multiple: true }); // 1..3
    // 1..3 are settled: acking one of them again is refused locally
    expect(() => msgs[0]!.ack()).toThrow(UsageError);
    expect(await stats(ch, queue)).toEqual({ ready: 0, unacked: 1 });
    await ch.close();
    expect(await ready(conn, queue, 1)).toBe(1); // only 4 was requeued
  });

  it('acking twice throws UsageError locally and the channel stays usable (no 406)', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['once']);
    const msg = await ch.basicGet(queue);
    msg!.ack();
    expect(() => msg!.ack()).toThrow(UsageError);
    expect(() => ch.basicAck(msg!.fields.deliveryTag)).toThrow(/delivery tag 1 is not outstanding/);
    expect(() => ch.basicAck(999)).toThrow(UsageError);
    // a round trip proves the broker saw no bad ack
    await expect(ch.queueDeclare(queue, { passive: true })).resolves.toMatchObject({ messageCount: 0 });
    expect(ch.isOpen).toBe(true);
  });

  it('acking a noAck delivery throws UsageError and the channel stays usable', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['g', 'c']);
    const got = await ch.basicGet(queue, { noAck: true });
    expect(() => got!.ack()).toThrow(UsageError);
    expect(() => ch.basicAck(got!.fields.deliveryTag)).toThrow(UsageError);
    const c = collector();
    await ch.basicConsume(queue, c.onMessage, { noAck: true });
    const [delivered] = await c.next(1);
    expect(() => delivered!.ack()).toThrow(/noAck/);
    expect(() => delivered!.nack()).toThrow(UsageError);
    expect(() => delivered!.reject()).toThrow(UsageError);
    await expect(ch.queueDeclare(queue, { passive: true })).resolves.toMatchObject({ messageCount: 0, consumerCount: 1 });
  });
});

describe('nack and reject', () => {
  it('nack with requeue puts the message back, redelivered', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['again']);
    const first = await ch.basicGet(queue);
    expect(first!.fields.redelivered).toBe(false);
    first!.nack({ requeue: true });
    const second = await ch.basicGet(queue);
    expect(second!.text()).toBe('again');
    expect(second!.fields.redelivered).toBe(true);
    second!.ack();
  });

  it('nack without requeue dead-letters through x-dead-letter-exchange; reject too', async () => {
    const { ch } = await open();
    const dlx = (await ch.queueDeclare('', { exclusive: true })).queue;
    const queue = await queueWith(ch, ['nacked', 'rejected', 'nack-multi-1', 'nack-multi-2'], {
      'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlx,
    });
    const c = collector();
    await ch.basicConsume(queue, c.onMessage);
    const msgs = await c.next(4);
    msgs[0]!.nack({ requeue: false });
    msgs[1]!.reject({ requeue: false });
    msgs[3]!.nack({ multiple: true, requeue: false }); // covers 3 and 4
    const dead: string[] = [];
    const reasons: unknown[] = [];
    await ch.basicConsume(dlx, (m) => {
      dead.push(m.text());
      const deaths = m.properties.headers?.['x-death'] as Array<Record<string, unknown>> | undefined;
      reasons.push(deaths?.[0]?.['reason']);
    }, { noAck: true });
    const deadline = Date.now() + 5000;
    while (dead.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(dead).toEqual(['nacked', 'rejected', 'nack-multi-1', 'nack-multi-2']);
    expect(reasons).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(await stats(ch, queue)).toEqual({ ready: 0, unacked: 0 });
  });

  it('reject with requeue (the default) returns the message to the queue', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['r']);
    const msg = await ch.basicGet(queue);
    ch.basicReject(msg!.fields.deliveryTag);
    expect(() => msg!.reject()).toThrow(UsageError); // settled already
    const again = await ch.basicGet(queue, { noAck: true });
    expect(again?.fields.redelivered).toBe(true);
  });
});

describe('basic.recover', () => {
  it('redelivers every unacked message with redelivered=true', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['x', 'y']);
    const c = collector();
    await ch.basicConsume(queue, c.onMessage);
    const firstRound = await c.next(2);
    expect(firstRound.every((m) => !m.fields.redelivered)).toBe(true);
    await ch.basicRecover({ requeue: true });
    const all = await c.next(4);
    const redelivered = all.slice(2);
    expect(redelivered.map((m) => m.text()).sort()).toEqual(['x', 'y']);
    expect(redelivered.every((m) => m.fields.redelivered)).toBe(true);
    for (const m of redelivered) m.ack();
    await expect(ch.queueDeclare(queue, { passive: true })).resolves.toMatchObject({ messageCount: 0 });
  });

  it('after recover the old delivery tags are void: acking one is refused locally, not with a 406', async () => {
    const { ch } = await open();
    const queue = await queueWith(ch, ['old']);
    const c = collector();
    await ch.basicConsume(queue, c.onMessage);
    const [old] = await c.next(1);
    await ch.basicRecover({ requeue: true });
    const [, fresh] = await c.next(2);
    expect(fresh!.fields.deliveryTag).not.toBe(old!.fields.deliveryTag);
    expect(() => old!.ack()).toThrow(UsageError);
    await expect(ch.queueDeclare(queue, { passive: true })).resolves.toMatchObject({ consumerCount: 1 });
    expect(ch.isOpen).toBe(true);
    fresh!.ack();
  });
});

describe('basic.qos', () => {
  it('prefetch 1 holds back further deliveries until the outstanding one is acked', async () => {
    const { conn, ch } = await open();
    const queue = await queueWith(ch, ['p1', 'p2', 'p3']);
    await ch.basicQos(1);
    const c = collector();
    await ch.basicConsume(queue, c.onMessage);
    await c.next(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.got.map((m) => m.text())).toEqual(['p1']);
    expect(await ready(conn, queue, 2)).toBe(2);
    c.got[0]!.ack();
    await c.next(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.got.map((m) => m.text())).toEqual(['p1', 'p2']);
    c.got[1]!.ack();
    await c.next(3);
    c.got[2]!.ack();
  });

  it('global prefetch applies to the channel: two consumers share one limit', async () => {
    const { ch } = await open();
    const a = await queueWith(ch, ['a1', 'a2']);
    const b = await queueWith(ch, ['b1', 'b2']);
    await ch.basicQos(1, { global: true });
    const c = collector();
    await ch.basicConsume(a, c.onMessage);
    await ch.basicConsume(b, c.onMessage);
    await c.next(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.got).toHaveLength(1);
    c.got[0]!.ack();
    await c.next(2);
  });
});
