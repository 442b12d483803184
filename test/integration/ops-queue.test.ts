/**
 * queue.declare / purge / delete against a real RabbitMQ: the declare-ok counts, server-named
 * queues, flags and x-arguments as the broker applies them, and the 404/405/406 refusals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { expectChannelError } from '../support/expect-errors.js';
import { queueName } from '../support/names.js';
import { rabbitmqctl } from '../support/rabbitmqctl.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

/**
 * Publishes `n` messages `prefix0..prefix{n-1}` to the default exchange, then waits for their
 * confirms. confirm.select goes first so that every publish is written in call order.
 */
async function fill(ch: Channel, queue: string, n: number, prefix = 'm'): Promise<void> {
  await ch.confirmSelect();
  for (let i = 0; i < n; i++) void ch.publishConfirmed('', queue, `${prefix}${i}`);
  await ch.waitForConfirms();
}

interface QueueRow { name: string; durable: boolean; auto_delete: boolean; exclusive: boolean; arguments: unknown[] }
async function queueRow(name: string): Promise<QueueRow | undefined> {
  const out = await rabbitmqctl(['list_queues', 'name', 'durable', 'auto_delete', 'exclusive', 'arguments', '--formatter', 'json']);
  return (JSON.parse(out) as QueueRow[]).find((row) => row.name === name);
}

describe('queue.declare', () => {
  it('an empty name gets a server-generated name, unique per declare', async () => {
    const { ch } = await open();
    const a = await ch.queueDeclare('', { exclusive: true });
    const b = await ch.queueDeclare();
    expect(a.queue).toMatch(/^amq\.gen-[\w-]+$/);
    expect(b.queue).toMatch(/^amq\.gen-/);
    expect(a.queue).not.toBe(b.queue);
    expect(a).toEqual({ queue: a.queue, messageCount: 0, consumerCount: 0 });
    await ch.queueDelete(b.queue);
  });

  it('declare-ok reports the message and consumer counts', async () => {
    const { ch } = await open();
    const q = queueName('counts');
    await ch.queueDeclare(q, { exclusive: true });
    await fill(ch, q, 3);
    expect(await ch.queueDeclare(q, { passive: true })).toEqual({ queue: q, messageCount: 3, consumerCount: 0 });
    const { consumerTag } = await ch.basicConsume(q, () => undefined, { noAck: true });
    const after = await ch.queueDeclare(q, { passive: true });
    expect(after.consumerCount).toBe(1);
    expect(after.messageCount).toBe(0); // delivered to the noAck consumer
    await ch.basicCancel(consumerTag);
  });

  it('passive declare of a missing queue: 404 on this channel only', async () => {
    const { conn, ch } = await open();
    const q = queueName('missing');
    const err = await expectChannelError(ch.queueDeclare(q, { passive: true }));
    expect(err).toMatchObject({ replyCode: 404, methodName: 'queue.declare', soft: true, by: 'server', classId: 50, methodId: 10 });
    expect(err.message).toBe(`queue.declare: 404 NOT_FOUND - no queue '${q}' in vhost '/'`);
    expect(ch.isOpen).toBe(false);
    const ch2 = await conn.channel();
    await expect(ch2.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ messageCount: 0 });
  });

  it('redeclaring with different arguments is refused with 406, the same ones are accepted', async () => {
    const { conn, ch } = await open();
    const q = queueName('redeclare');
    await ch.queueDeclare(q, { exclusive: true, arguments: { 'x-max-length': 10 } });
    await expect(ch.queueDeclare(q, { exclusive: true, arguments: { 'x-max-length': 10 } })).resolves.toMatchObject({ queue: q });
    const err = await expectChannelError(ch.queueDeclare(q, { exclusive: true, arguments: { 'x-max-length': 11 } }));
    expect(err.replyCode).toBe(406);
    expect(err.message).toMatch(/^queue\.declare: 406 PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '.*' in vhost '\/'/);
    const ch2 = await conn.channel();
    const missing = await expectChannelError(ch2.queueDeclare(q, { exclusive: true }));
    expect(missing.replyText).toMatch(/inequivalent arg 'x-max-length'.*received none/);
  });

  it('redeclaring a queue with a different durability is refused with 406', async () => {
    const { conn, ch } = await open();
    const q = queueName('redeclare-durable');
    await ch.queueDeclare(q);
    try {
      const err = await expectChannelError(ch.queueDeclare(q, { durable: true }));
      expect(err.replyCode).toBe(406);
      expect(err.replyText).toMatch(/inequivalent arg 'durable'/);
    } finally {
      const cleanup = await conn.channel();
      await cleanup.queueDelete(q);
    }
  });

  it('x-message-ttl expires messages', async () => {
    const { ch } = await open();
    const q = queueName('ttl');
    await ch.queueDeclare(q, { exclusive: true, arguments: { 'x-message-ttl': 50 } });
    await fill(ch, q, 2);
    expect((await ch.queueDeclare(q, { passive: true })).messageCount).toBe(2);
    await new Promise((r) => setTimeout(r, 250));
    expect(await ch.basicGet(q)).toBeNull();
    expect((await ch.queueDeclare(q, { passive: true })).messageCount).toBe(0);
  });

  it('x-max-length keeps only the newest messages', async () => {
    const { ch } = await open();
    const q = queueName('max-length');
    await ch.queueDeclare(q, { exclusive: true, arguments: { 'x-max-length': 2 } });
    await fill(ch, q, 5);
    expect((await ch.queueDeclare(q, { passive: true })).messageCount).toBe(2);
    expect((await ch.basicGet(q, { noAck: true }))?.text()).toBe('m3');
    expect((await ch.basicGet(q, { noAck: true }))?.text()).toBe('m4');
    expect(await ch.basicGet(q)).toBeNull();
  });

  it('x-max-priority with the priority property reorders messages', async () => {
    const { ch } = await open();
    const q = queueName('priority');
    await ch.queueDeclare(q, { exclusive: true, arguments: { 'x-max-priority': 5 } });
    await ch.confirmSelect();
    void ch.publishConfirmed('', q, 'low', { priority: 0 });
    void ch.publishConfirmed('', q, 'high', { priority: 5 });
    void ch.publishConfirmed('', q, 'mid', { priority: 2 });
    await ch.waitForConfirms();
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push((await ch.basicGet(q, { noAck: true }))!.text());
    expect(order).toEqual(['high', 'mid', 'low']);
  });

  it('sends durable, exclusive, autoDelete and arguments to the broker', async () => {
    const { ch } = await open();
    const q = queueName('flags');
    await ch.queueDeclare(q, { durable: true, autoDelete: true, arguments: { 'x-max-length': 7, 'x-queue-mode': 'lazy' } });
    try {
      const row = await queueRow(q);
      expect(row).toMatchObject({ durable: true, auto_delete: true });
      expect(JSON.stringify(row?.arguments)).toMatch(/x-max-length.*7/);
      expect(JSON.stringify(row?.arguments)).toMatch(/x-queue-mode.*lazy/);
    } finally {
      await ch.queueDelete(q);
    }
    const ex = queueName('exclusive');
    await ch.queueDeclare(ex, { exclusive: true });
    expect(await queueRow(ex)).toMatchObject({ durable: false, auto_delete: false, exclusive: true });
  });

  it('an exclusive queue is locked (405) for other connections and goes away with its owner', async () => {
    const { conn, ch } = await open();
    const q = queueName('exclusive');
    await ch.queueDeclare(q, { exclusive: true });
    const { ch: otherCh } = await open();
    const locked = await expectChannelError(otherCh.queueDeclare(q, { passive: true }));
    expect(locked.replyCode).toBe(405);
    expect(locked.message).toMatch(/^queue\.declare: 405 RESOURCE_LOCKED - cannot obtain exclusive access to locked queue/);
    await conn.close();
    const { ch: third } = await open();
    const gone = await expectChannelError(third.queueDeclare(q, { passive: true }));
    expect(gone.replyCode).toBe(404);
  });

  it('an autoDelete queue is deleted when its last consumer is cancelled', async () => {
    const { conn, ch } = await open();
    const q = queueName('autodelete');
    await ch.queueDeclare(q, { autoDelete: true });
    const { consumerTag } = await ch.basicConsume(q, () => undefined, { noAck: true });
    await ch.queueDeclare(q, { passive: true });
    await ch.basicCancel(consumerTag);
    const probe = await conn.channel();
    const err = await expectChannelError(probe.queueDeclare(q, { passive: true }));
    expect(err.replyCode).toBe(404);
  });

  it('refuses a queue name over 255 bytes locally and keeps the channel open', async () => {
    const { ch } = await open();
    await expect(ch.queueDeclare('q'.repeat(256))).rejects.toThrow(/255/);
    expect(ch.isOpen).toBe(true);
    await expect(ch.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ messageCount: 0 });
  });
});

describe('queue.purge', () => {
  it('resolves the number of messages purged and empties the queue', async () => {
    const { ch } = await open();
    const q = queueName('purge');
    await ch.queueDeclare(q, { exclusive: true });
    await fill(ch, q, 4);
    expect(await ch.queuePurge(q)).toEqual({ messageCount: 4 });
    expect(await ch.basicGet(q)).toBeNull();
    expect(await ch.queuePurge(q)).toEqual({ messageCount: 0 });
  });

  it('leaves delivered but unacked messages alone', async () => {
    const { ch } = await open();
    const q = queueName('purge-unacked');
    await ch.queueDeclare(q, { exclusive: true });
    await fill(ch, q, 3);
    const held = await ch.basicGet(q);
    expect(await ch.queuePurge(q)).toEqual({ messageCount: 2 });
    held!.nack({ requeue: true });
    expect((await ch.basicGet(q, { noAck: true }))?.text()).toBe('m0');
  });

  it('purging a missing queue is a 404', async () => {
    const { ch } = await open();
    const err = await expectChannelError(ch.queuePurge(queueName('missing')));
    expect(err.replyCode).toBe(404);
    expect(err.methodName).toBe('queue.purge');
  });
});

describe('queue.delete', () => {
  it('resolves the number of messages deleted with the queue', async () => {
    const { conn, ch } = await open();
    const q = queueName('delete');
    await ch.queueDeclare(q);
    await fill(ch, q, 5);
    expect(await ch.queueDelete(q)).toEqual({ messageCount: 5 });
    const err = await expectChannelError(ch.queueDeclare(q, { passive: true }));
    expect(err.replyCode).toBe(404);
    // RabbitMQ answers a delete of a missing queue with delete-ok, count 0
    const ch2 = await conn.channel();
    expect(await ch2.queueDelete(q)).toEqual({ messageCount: 0 });
  });

  it('ifEmpty refuses (406) while messages are ready', async () => {
    const { conn, ch } = await open();
    const q = queueName('if-empty');
    await ch.queueDeclare(q, { exclusive: true });
    await fill(ch, q, 1);
    const err = await expectChannelError(ch.queueDelete(q, { ifEmpty: true }));
    expect(err.replyCode).toBe(406);
    expect(err.message).toMatch(/^queue\.delete: 406 PRECONDITION_FAILED - queue '.*' in vhost '\/' not empty$/);
    const ch2 = await conn.channel();
    await ch2.queuePurge(q);
    expect(await ch2.queueDelete(q, { ifEmpty: true })).toEqual({ messageCount: 0 });
  });

  it('ifUnused refuses (406) while a consumer is attached', async () => {
    const { conn, ch } = await open();
    const q = queueName('if-unused');
    await ch.queueDeclare(q, { exclusive: true });
    await ch.basicConsume(q, () => undefined, { noAck: true });
    const other = await conn.channel();
    const err = await expectChannelError(other.queueDelete(q, { ifUnused: true }));
    expect(err.replyCode).toBe(406);
    expect(err.message).toMatch(/^queue\.delete: 406 PRECONDITION_FAILED - queue '.*' in vhost '\/' in use$/);
    await ch.queueDeclare(q, { passive: true }); // still there
  });
});
