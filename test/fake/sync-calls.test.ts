/**
 * Synchronous methods on a channel: one in flight, FIFO; timeouts and aborts; asynchronous frames
 * in between; closes from either side; consumer cancellation; channel id reuse.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ChannelClosedError, ConsumerCancelledError, TimeoutError, UsageError } from '../../src/client/errors.js';
import type { Message } from '../../src/client/message.js';
import type { FakePeer } from '../support/fake-broker.js';
import { track } from '../support/fake-broker-pending.js';
import { fakeChannels } from '../support/fake-channel.js';

const open = fakeChannels();

function declareOk(peer: FakePeer, channel: number, queue: string, messageCount = 0): void {
  peer.send(channel, 'queue.declare-ok', { queue, messageCount, consumerCount: 0 });
}

/** Resolves when `cond` holds, polling each tick for at most `ms`. */
async function until(cond: () => boolean, ms = 500): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('one synchronous method in flight per channel', () => {
  it('requests go out one at a time, in call order: the fake sees request 2 only after answering request 1', async () => {
    const { conn, peer, ch } = await open();
    const declared = ch.queueDeclare('a');
    const bound = ch.queueBind('a', 'amq.direct', 'k');
    const qos = ch.basicQos(10);
    const m1 = await peer.expect('queue.declare');
    expect(m1.args.queue).toBe('a');
    await peer.expectNothing(50);
    declareOk(peer, ch.id, 'a', 3);
    const m2 = await peer.expect('queue.bind');
    expect(m2.args).toMatchObject({ queue: 'a', exchange: 'amq.direct', routingKey: 'k' });
    await peer.expectNothing(30);
    peer.send(ch.id, 'queue.bind-ok', {});
    const m3 = await peer.expect('basic.qos');
    expect(m3.args).toMatchObject({ prefetchCount: 10, prefetchSize: 0, global: false });
    peer.send(ch.id, 'basic.qos-ok', {});
    await expect(declared).resolves.toEqual({ queue: 'a', messageCount: 3, consumerCount: 0 });
    await bound;
    await qos;
    await conn.close();
  });
});

describe('timeouts', () => {
  it('a timed-out call closes the channel; the late reply is dropped and never answers the next request', async () => {
    const { conn, peer, ch } = await open();
    const t0 = performance.now();
    const slow = track('slow', ch.queueDeclare('slow', { timeout: 100 }));
    const next = track('next', ch.queueDeclare('next'));
    await peer.expect('queue.declare');
    const close = await peer.expect('channel.close', { channel: ch.id, timeout: 2000 });
    expect(close.at - t0).toBeGreaterThanOrEqual(95);
    expect(close.at - t0).toBeLessThan(700); // the call's 100 ms, with room for a loaded machine
    await slow.settled;
    expect(slow.error).toBeInstanceOf(TimeoutError);
    expect(slow.error).toMatchObject({ operation: 'queue.declare', timeoutMs: 100 });
    declareOk(peer, ch.id, 'slow');
    peer.send(ch.id, 'channel.close-ok', {});
    await next.settled;
    expect(next.error).toBeInstanceOf(ChannelClosedError);
    await peer.expectNothing(50);
    const ch2 = await conn.channel();
    const fresh = ch2.queueDeclare('fresh');
    const m = await peer.expect('queue.declare', { channel: ch2.id });
    expect(m.args.queue).toBe('fresh');
    declareOk(peer, ch2.id, 'fresh');
    await expect(fresh).resolves.toMatchObject({ queue: 'fresh' });
    await conn.close();
  });

  it('a call queued behind a slow one honours its own timeout (it never left the queue, so it is simply dropped)', async () => {
    const { conn, peer, ch } = await open();
    track('blocker', ch.queueDeclare('blocker', { timeout: 0 }));
    const t0 = performance.now();
    const queued = track('queued', ch.queueDeclare('queued', { timeout: 100 }));
    await peer.expect('queue.declare');
    await Promise.race([queued.settled, peer.sleep(1500)]);
    expect(queued.status).toBe('rejected');
    expect(queued.error).toBeInstanceOf(TimeoutError);
    expect(queued.at - t0).toBeLessThan(700); // its own 100 ms, not the blocker's (infinite) wait
    declareOk(peer, ch.id, 'blocker');
    await peer.expectNothing(50);
    await conn.close();
  });

  it('connection.update-secret: after one call timed out, the next call still settles within its own timeout', async () => {
    const { conn, peer } = await open();
    const first = track('first', conn.updateSecret('token-1', 'refresh', { timeout: 100 }));
    await peer.expect('connection.update-secret');
    await first.settled;
    expect(first.error).toBeInstanceOf(TimeoutError);
    peer.handle('connection.update-secret', (_m, p) => p.send(0, 'connection.update-secret-ok', {}));
    const second = track('second', conn.updateSecret('token-2', 'refresh', { timeout: 100 }));
    await Promise.race([second.settled, peer.sleep(500)]);
    expect(second.status).not.toBe('pending');
    await conn.close();
  });
});

describe('AbortSignal', () => {
  it('aborted while queued: rejects with the reason at once, is never sent, the channel stays open', async () => {
    const { conn, peer, ch } = await open();
    const first = ch.queueDeclare('first');
    const ac = new AbortController();
    const aborted = track('aborted', ch.queueDeclare('aborted', { signal: ac.signal }));
    const third = ch.queueDeclare('third');
    await peer.expect('queue.declare');
    const reason = new Error('caller gave up');
    ac.abort(reason);
    await aborted.settled;
    expect(aborted.error).toBe(reason);
    declareOk(peer, ch.id, 'first');
    const m = await peer.expect('queue.declare');
    expect(m.args.queue).toBe('third');
    declareOk(peer, ch.id, 'third');
    await expect(first).resolves.toMatchObject({ queue: 'first' });
    await expect(third).resolves.toMatchObject({ queue: 'third' });
    expect(ch.isOpen).toBe(true);
    await expect(ch.queueDeclare('x', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await peer.expectNothing(30);
    await conn.close();
  });

  it('aborted after it was sent: rejects with the reason and closes the channel (its reply is still coming)', async () => {
    const { conn, peer, ch } = await open();
    const ac = new AbortController();
    const call = track('call', ch.queueDeclare('x', { signal: ac.signal }));
    await peer.expect('queue.declare');
    const reason = new Error('stop');
    ac.abort(reason);
    await call.settled;
    expect(call.error).toBe(reason);
    await peer.expect('channel.close', { channel: ch.id });
    expect(ch.isOpen).toBe(false);
    declareOk(peer, ch.id, 'x');
    peer.send(ch.id, 'channel.close-ok', {});
    await ch.close();
    await conn.close();
  });
});

describe('asynchronous frames between a request and its reply', () => {
  it('deliver, return and ack in the same read as the reply are all handled', async () => {
    const { conn, peer, ch } = await open();
    peer.autoReply(['confirm.select', 'basic.consume']);
    await ch.confirmSelect();
    const got: string[] = [];
    const { consumerTag } = await ch.basicConsume('q', (m) => { got.push(m.text()); });
    const returned: unknown[] = [];
    ch.on('return', (r) => returned.push(r));
    const pub = track('publish', ch.publishConfirmed('', 'k', 'payload'));
    const declared = ch.queueDeclare('q2');
    await peer.expect('basic.publish');
    await peer.expect('queue.declare');
    peer.batch(() => {
      peer.deliver(ch.id, { consumerTag, deliveryTag: 1 }, 'm1');
      peer.send(ch.id, 'basic.return', { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'x', routingKey: 'nowhere' });
      peer.sendContent(ch.id, 'unroutable');
      peer.send(ch.id, 'basic.ack', { deliveryTag: 1, multiple: false });
      declareOk(peer, ch.id, 'q2');
    });
    await expect(declared).resolves.toMatchObject({ queue: 'q2' });
    await pub.settled;
    expect(pub.status).toBe('fulfilled');
    expect(got).toEqual(['m1']);
    expect(returned).toHaveLength(1);
    await conn.close();
  });

  it('a delivery in the same read as basic.consume-ok reaches the new consumer', async () => {
    const { conn, peer, ch } = await open();
    const got: string[] = [];
    const consuming = ch.basicConsume('q', (m) => { got.push(m.text()); });
    const c = await peer.expect('basic.consume');
    peer.batch(() => {
      peer.send(c.channel, 'basic.consume-ok', { consumerTag: 'ct-1' });
      peer.deliver(c.channel, { consumerTag: 'ct-1', deliveryTag: 1 }, 'first');
    });
    await expect(consuming).resolves.toMatchObject({ consumerTag: 'ct-1' });
    await until(() => got.length === 1);
    expect(got).toEqual(['first']);
    await conn.close();
  });
});

describe('closing', () => {
  it('channel.close from the server rejects pending calls with ChannelClosedError carrying the reason; close-ok is sent', async () => {
    const { conn, peer, ch } = await open();
    const closeEvents: unknown[] = [];
    ch.on('close', (e) => closeEvents.push(e));
    ch.on('error', () => undefined);
    const declare = track('declare', ch.queueDeclare('missing', { passive: true }));
    const bind = track('bind', ch.queueBind('missing', 'amq.direct', 'k'));
    await peer.expect('queue.declare');
    peer.send(ch.id, 'channel.close', { replyCode: 404, replyText: "NOT_FOUND - no queue 'missing' in vhost '/'", classId: 50, methodId: 10 });
    await peer.expect('channel.close-ok', { channel: ch.id });
    await Promise.all([declare.settled, bind.settled]);
    for (const t of [declare, bind]) {
      expect(t.error).toBeInstanceOf(ChannelClosedError);
      expect(t.error).toMatchObject({ replyCode: 404, methodName: 'queue.declare', by: 'server', soft: true });
    }
    expect((declare.error as Error).message).toBe("queue.declare: 404 NOT_FOUND - no queue 'missing' in vhost '/'");
    expect(closeEvents).toEqual([declare.error]);
    await expect(ch.queueDeclare('again')).rejects.toBe(declare.error);
    await peer.expectNothing(30);
    const other = await conn.channel();
    expect(other.isOpen).toBe(true);
    await conn.close();
  });

  it('simultaneous close: the client answers the server\'s channel.close with close-ok and still waits for its own', async () => {
    const { conn, peer, ch } = await open();
    ch.on('error', () => undefined);
    const closing = track('close', ch.close());
    await peer.expect('channel.close', { channel: ch.id });
    peer.send(ch.id, 'channel.close', { replyCode: 406, replyText: 'PRECONDITION_FAILED - unknown delivery tag 1', classId: 60, methodId: 80 });
    await peer.expect('channel.close-ok', { channel: ch.id });
    await peer.sleep(20);
    expect(closing.status).toBe('pending');
    peer.send(ch.id, 'channel.close-ok', {});
    await closing.settled;
    expect(closing.status).toBe('fulfilled');
    await peer.expectNothing(30);
    await conn.close();
  });

  it('after the client\'s channel.close, everything but close/close-ok is dropped', async () => {
    const { conn, peer, ch } = await open();
    peer.autoReply(['basic.consume']);
    const got: string[] = [];
    const { consumerTag } = await ch.basicConsume('q', (m) => { got.push(m.text()); });
    const connClose: unknown[] = [];
    conn.on('close', (e) => connClose.push(e));
    const closing = ch.close();
    await peer.expect('channel.close');
    peer.batch(() => {
      peer.deliver(ch.id, { consumerTag, deliveryTag: 5 }, 'late');
      peer.send(ch.id, 'basic.ack', { deliveryTag: 1, multiple: false });
      declareOk(peer, ch.id, 'nobody-asked');
      peer.sendBody(ch.id, 'stray body');
      peer.send(ch.id, 'channel.close-ok', {});
    });
    await closing;
    expect(got).toEqual([]);
    expect(connClose).toEqual([]);
    await peer.expectNothing(30);
    const other = await conn.channel();
    expect(other.isOpen).toBe(true);
    await conn.close();
  });
});

describe('consumers', () => {
  it('basic.cancel from the server: buffered deliveries come out first, then the iterator throws ConsumerCancelledError', async () => {
    const { conn, peer, ch } = await open();
    peer.autoReply(['basic.consume']);
    const cancelled: string[] = [];
    ch.on('cancel', (tag: string) => cancelled.push(tag));
    const it = ch.consume('q', { consumerTag: 'ct' });
    await peer.seen('basic.consume');
    peer.deliver(ch.id, { consumerTag: 'ct', deliveryTag: 1 }, 'one');
    peer.deliver(ch.id, { consumerTag: 'ct', deliveryTag: 2 }, 'two');
    peer.send(ch.id, 'basic.cancel', { consumerTag: 'ct', nowait: true });
    await until(() => cancelled.length === 1);
    expect((await it.next()).value?.text()).toBe('one');
    expect((await it.next()).value?.text()).toBe('two');
    await expect(it.next()).rejects.toBeInstanceOf(ConsumerCancelledError);
    await peer.expectNothing(30);
    expect(ch.isOpen).toBe(true);
    await conn.close();
  });

  it('basic.cancel from the server without nowait is answered with cancel-ok', async () => {
    const { conn, peer, ch } = await open();
    peer.autoReply(['basic.consume']);
    await ch.basicConsume('q', () => undefined, { consumerTag: 'ct' });
    peer.send(ch.id, 'basic.cancel', { consumerTag: 'ct', nowait: false });
    const ok = await peer.expect('basic.cancel-ok');
    expect(ok.args.consumerTag).toBe('ct');
    await conn.close();
  });

  it('deliveries between basic.cancel and cancel-ok still reach a callback consumer', async () => {
    const { conn, peer, ch } = await open();
    peer.autoReply(['basic.consume']);
    const got: string[] = [];
    await ch.basicConsume('q', (m) => { got.push(m.text()); }, { consumerTag: 'ct' });
    const cancelling = ch.basicCancel('ct');
    await peer.expect('basic.cancel');
    peer.deliver(ch.id, { consumerTag: 'ct', deliveryTag: 7 }, 'in-between');
    peer.send(ch.id, 'basic.cancel-ok', { consumerTag: 'ct' });
    await cancelling;
    expect(got).toEqual(['in-between']);
    await conn.close();
  });

  it('leaving a for-await loop: deliveries that arrive before cancel-ok are nacked with requeue', async () => {
    const { conn, peer, ch } = await open();
    peer.autoReply(['basic.consume']);
    const it = ch.consume('q', { consumerTag: 'ct' });
    await peer.seen('basic.consume');
    peer.deliver(ch.id, { consumerTag: 'ct', deliveryTag: 1 }, 'taken');
    const first = await it.next();
    expect(first.value?.text()).toBe('taken');
    const leaving = it.return();
    await peer.expect('basic.cancel');
    peer.deliver(ch.id, { consumerTag: 'ct', deliveryTag: 2 }, 'never handed out');
    peer.send(ch.id, 'basic.cancel-ok', { consumerTag: 'ct' });
    await leaving;
    const nack = await peer.expect('basic.nack');
    expect(nack.args).toEqual({ deliveryTag: 2, multiple: false, requeue: true });
    (first.value as Message).ack();
    expect((await peer.expect('basic.ack')).args.deliveryTag).toBe(1);
    await conn.close();
  });

  it('a delivery for an unknown consumer tag is reported, not fatal', async () => {
    const { conn, peer, ch } = await open();
    const errors: unknown[] = [];
    ch.on('error', (e) => errors.push(e));
    peer.deliver(ch.id, { consumerTag: 'nobody', deliveryTag: 1 }, 'lost');
    const declared = ch.queueDeclare('still-works');
    await peer.expect('queue.declare');
    declareOk(peer, ch.id, 'still-works');
    await expect(declared).resolves.toMatchObject({ queue: 'still-works' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UsageError);
    expect((errors[0] as Error).message).toContain('nobody');
    await conn.close();
  });
});

describe('channel ids', () => {
  it('an id is not handed out again before its close-ok has arrived', async () => {
    const { conn, peer, ch } = await open({ tune: { channelMax: 2 } });
    const b = await conn.channel();
    expect([ch.id, b.id].sort()).toEqual([1, 2]);
    const closing = ch.close();
    await peer.expect('channel.close', { channel: ch.id });
    await expect(conn.channel()).rejects.toBeInstanceOf(UsageError);
    peer.send(ch.id, 'channel.close-ok', {});
    await closing;
    const c = await conn.channel();
    expect(c.id).toBe(ch.id);
    await conn.close();
  });
});
