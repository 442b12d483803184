/**
 * Publisher confirms, transactions, channel.flow and per-call timeouts/abort against a real
 * RabbitMQ. A confirmed publish must settle exactly once with what the broker said: ack, nack
 * (x-overflow reject-publish), return-then-ack (UnroutableError), or the channel's close error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChannelClosedError, NackError, TimeoutError, UnroutableError, UsageError, type Channel,
} from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { queueName } from '../support/names.js';
import { rabbitmqctl } from '../support/rabbitmqctl.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

async function drain(ch: Channel, queue: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let m = await ch.basicGet(queue, { noAck: true }); m !== null; m = await ch.basicGet(queue, { noAck: true })) bodies.push(m.text());
  return bodies;
}

/**
 * The broker's count of delivered-but-unacknowledged messages on `queue`. The passive declare
 * first is a round trip on `ch`, so every method sent on it before (an ack) has been processed.
 */
async function unackedCount(ch: Channel, queue: string): Promise<number> {
  await ch.queueDeclare(queue, { passive: true });
  const out = await rabbitmqctl(['list_queues', 'name', 'messages_unacknowledged', '--formatter', 'json']);
  const row = (JSON.parse(out) as { name: string; messages_unacknowledged: number }[]).find((r) => r.name === queue);
  if (row === undefined) throw new Error(`rabbitmqctl list_queues does not list ${queue}`);
  return row.messages_unacknowledged;
}

/** How a promise settled, recorded without leaving a rejection unhandled. */
function settled<T>(p: Promise<T>): { state: () => 'pending' | 'fulfilled' | 'rejected'; result: Promise<unknown> } {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  const result = p.then((v) => { state = 'fulfilled'; return v; }, (e: unknown) => { state = 'rejected'; return e; });
  return { state: () => state, result };
}

describe('publisher confirms', () => {
  it('publishConfirmed resolves once the broker has the message', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.confirmSelect();
    await expect(ch.publishConfirmed('', queue, 'confirmed')).resolves.toBeUndefined();
    expect(await drain(ch, queue)).toEqual(['confirmed']);
  });

  it('waitForConfirms covers plain basicPublish calls on a confirm channel', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.confirmSelect();
    for (let i = 0; i < 100; i++) ch.basicPublish('', queue, String(i));
    await ch.waitForConfirms();
    expect((await ch.queueDeclare(queue, { passive: true })).messageCount).toBe(100);
  });

  it('waitForConfirms before confirmSelect is a UsageError', async () => {
    const { ch } = await open();
    await expect(ch.waitForConfirms()).rejects.toBeInstanceOf(UsageError);
  });

  it('publishConfirmed calls made in one tick are written in call order, even the one that selects confirm mode', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const bodies = ['first', 'second', 'third', 'fourth'];
    await Promise.all(bodies.map((b) => ch.publishConfirmed('', queue, b)));
    expect(await drain(ch, queue)).toEqual(bodies);
  });

  it('waitForConfirms right after the first publishConfirmed waits for that publish', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const first = settled(ch.publishConfirmed('', queue, 'x'));
    await ch.waitForConfirms();
    expect(first.state()).toBe('fulfilled');
    await first.result;
  });

  it('a mandatory unroutable publish rejects with UnroutableError and also emits return', async () => {
    const { ch } = await open();
    await ch.confirmSelect();
    const returns: unknown[] = [];
    ch.on('return', (r) => returns.push(r));
    const err = await ch.publishConfirmed('amq.direct', 'nowhere', 'bounce', undefined, { mandatory: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnroutableError);
    expect(err).toMatchObject({ replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: 'nowhere' });
    expect(returns).toHaveLength(1);
    // the channel is fine
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await expect(ch.publishConfirmed('', queue, 'ok', undefined, { mandatory: true })).resolves.toBeUndefined();
  });

  it('in a burst, each publish settles by its own fate', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.confirmSelect();
    const outcomes = await Promise.all(
      ['ok1', 'lost1', 'ok2', 'lost2', 'ok3'].map((body) => {
        const key = body.startsWith('ok') ? queue : `${queue}-unbound`;
        return ch.publishConfirmed('', key, body, undefined, { mandatory: true }).then(() => 'ack', (e: Error) => e.name);
      }),
    );
    expect(outcomes).toEqual(['ack', 'UnroutableError', 'ack', 'UnroutableError', 'ack']);
    expect(await drain(ch, queue)).toEqual(['ok1', 'ok2', 'ok3']);
  });

  it('a nack (x-overflow reject-publish) rejects with NackError, and waitForConfirms rejects too', async () => {
    const { ch } = await open();
    const q = queueName('reject-publish');
    await ch.queueDeclare(q, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    await ch.confirmSelect();
    await ch.publishConfirmed('', q, 'fits');
    const err = await ch.publishConfirmed('', q, 'overflow').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NackError);
    expect((err as NackError).deliveryTag).toBe(2);
    ch.basicPublish('', q, 'also overflows');
    await expect(ch.waitForConfirms()).rejects.toBeInstanceOf(NackError);
    expect(await drain(ch, q)).toEqual(['fits']);
  });

  it('pending confirms reject with the channel close error when the broker closes the channel', async () => {
    const { conn, ch } = await open();
    ch.on('error', () => undefined);
    await ch.confirmSelect();
    const missing = queueName('no-such-exchange');
    const err = await ch.publishConfirmed(missing, 'k', 'x').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelClosedError);
    expect(err).toMatchObject({ replyCode: 404, methodName: 'basic.publish' });
    await expect(ch.waitForConfirms()).rejects.toBe(err);
    await expect(conn.channel()).resolves.toBeDefined();
  });
});

describe('transactions', () => {
  it('rollback discards publishes, commit delivers them', async () => {
    const { conn, ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const observer = await conn.channel();
    await ch.txSelect();
    ch.basicPublish('', queue, 'rolled back 1');
    ch.basicPublish('', queue, 'rolled back 2');
    await ch.txRollback();
    expect(await drain(observer, queue)).toEqual([]);
    ch.basicPublish('', queue, 'committed');
    // not visible before commit
    await ch.queueDeclare(queue, { passive: true });
    expect(await drain(observer, queue)).toEqual([]);
    await ch.txCommit();
    expect(await drain(observer, queue)).toEqual(['committed']);
  });

  it('acks inside a transaction take effect on commit only', async () => {
    const { conn, ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    ch.basicPublish('', queue, 'a');
    await ch.txSelect();
    const msg = await ch.basicGet(queue);
    msg!.ack();
    const unacked = (): Promise<number> => unackedCount(ch, queue);
    expect(await unacked()).toBe(1);
    await ch.txCommit();
    expect(await unacked()).toBe(0);
    expect(conn.tuned.frameMax).toBeGreaterThan(0);
  });

  it('after a rollback the rolled-back ack can be sent again', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    ch.basicPublish('', queue, 'a');
    await ch.txSelect();
    const msg = await ch.basicGet(queue);
    msg!.ack();
    await ch.txRollback();
    // RabbitMQ discards acks of a rolled-back transaction: the delivery is outstanding again
    expect(await unackedCount(ch, queue)).toBe(1);
    expect(() => msg!.ack()).not.toThrow();
    await ch.txCommit();
    // the second ack reached the broker: nothing unacked, and the message is not back in the queue
    expect(await unackedCount(ch, queue)).toBe(0);
    await expect(ch.queueDeclare(queue, { passive: true })).resolves.toMatchObject({ messageCount: 0 });
  });

  it('commit without select is refused with 406 naming tx.commit', async () => {
    const { ch } = await open();
    await expect(ch.txCommit()).rejects.toMatchObject({
      name: 'ChannelClosedError', replyCode: 406, methodName: 'tx.commit',
      message: 'tx.commit: 406 PRECONDITION_FAILED - channel is not transactional',
    });
  });
});

describe('channel.flow', () => {
  it('flow(true) is answered with active=true', async () => {
    const { ch } = await open();
    await expect(ch.channelFlow(true)).resolves.toEqual({ active: true });
  });

  it('flow(false) throws UsageError locally; channel and connection stay up', async () => {
    const { conn, ch } = await open();
    await expect(ch.channelFlow(false)).rejects.toBeInstanceOf(UsageError);
    // RabbitMQ would have closed the whole connection with 540 had it been sent
    await expect(ch.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ messageCount: 0 });
    await expect(conn.channel()).resolves.toBeDefined();
  });
});

describe('call timeouts and abort', () => {
  it('a reply later than `timeout` rejects with TimeoutError and closes only that channel', async () => {
    const { conn, ch } = await open();
    const errors: unknown[] = [];
    ch.on('error', (e) => errors.push(e));
    const call = settled(ch.queueDeclare('', { exclusive: true, timeout: 1 }));
    // keep the event loop busy past the 1 ms timer: the timer runs before the socket is read
    const until = Date.now() + 20;
    while (Date.now() < until) { /* spin */ }
    const err = await call.result;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ operation: 'queue.declare', timeoutMs: 1, message: 'queue.declare timed out after 1 ms' });
    // the late declare-ok must not answer a later call: the channel is gone
    expect(ch.isOpen).toBe(false);
    await expect(ch.queueDeclare('', { exclusive: true })).rejects.toBeInstanceOf(ChannelClosedError);
    expect(errors).toHaveLength(1);
    const fresh = await conn.channel();
    await expect(fresh.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ consumerCount: 0 });
  });

  it('an already aborted signal rejects before anything is sent; the channel stays open', async () => {
    const { ch } = await open();
    const reason = new Error('not needed any more');
    // were this passive declare of a missing queue sent, the broker would close the channel (404)
    await expect(ch.queueDeclare(queueName('never-sent'), { passive: true, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(ch.isOpen).toBe(true);
    await expect(ch.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ messageCount: 0 });
  });

  it('the default abort reason is an AbortError', async () => {
    const { ch } = await open();
    await expect(ch.exchangeDeclare('amq.direct', 'direct', { passive: true, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('aborting a call queued behind another drops it without closing the channel', async () => {
    const { ch } = await open();
    const controller = new AbortController();
    const first = ch.queueDeclare('', { exclusive: true });
    const second = settled(ch.queueDeclare(queueName('aborted-in-queue'), { passive: true, signal: controller.signal }));
    controller.abort();
    await first;
    expect(await second.result).toMatchObject({ name: 'AbortError' });
    expect(ch.isOpen).toBe(true);
    await expect(ch.queueDeclare('', { exclusive: true })).resolves.toBeDefined();
  });

  it('many concurrent calls on one channel each get their own reply', async () => {
    const { ch } = await open();
    const names = Array.from({ length: 50 }, (_, i) => queueName(`fifo-${i}`));
    const results = await Promise.all(names.map((n) => ch.queueDeclare(n, { exclusive: true })));
    expect(results.map((r) => r.queue)).toEqual(names);
  });
});
