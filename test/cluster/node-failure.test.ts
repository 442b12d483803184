/**
 * Nodes crashing under a client (`kill -9`), with what the client offers today (no recovery):
 * a follower's death is invisible to confirmed publishing; the death of the client's own node
 * ends its connection at once and settles everything pending; a quorum queue without a majority
 * neither acks nor nacks until a node returns (reliability R32, see the Cluster facts).
 * Every killed node is restarted after its test, so each test starts with three running nodes.
 */
import { describe, expect, it } from 'vitest';
import { ClosedError, ConnectionClosedError, NackError } from '../../src/index.js';
import { killNode, restartNode, setUpClusterTests } from '../support/cluster.js';
import { queueName } from '../support/names.js';

const { openOn, quorumQueue } = setUpClusterTests();

/** How a promise settled, recorded without leaving a rejection unhandled. */
function settled<T>(p: Promise<T>): { state: () => 'pending' | 'fulfilled' | 'rejected'; result: Promise<unknown> } {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  const result = p.then(
    (v) => {
      state = 'fulfilled';
      return v;
    },
    (e: unknown) => {
      state = 'rejected';
      return e;
    },
  );
  return { state: () => state, result };
}

/** Resolves with `p`'s outcome, or with 'still pending' after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'still pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still pending'>((done) => {
    timer = setTimeout(() => done('still pending'), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

describe('a node killed under a client', () => {
  it('a follower killed (kill -9) leaves confirmed publishes to a quorum queue working', async () => {
    const { ch } = await openOn(1);
    const queue = await quorumQueue(ch, 'follower-killed');
    await ch.confirmSelect();
    for (let i = 0; i < 50; i++) await ch.publishConfirmed('', queue, `before ${i}`);

    await killNode(3);
    // The leader (node 1, where the queue was declared) and node 2 still form a majority.
    for (let i = 0; i < 50; i++) await ch.publishConfirmed('', queue, `after ${i}`);
    expect((await ch.queueDeclare(queue, { passive: true })).messageCount).toBe(100);
    const first = await ch.basicGet(queue, { noAck: true });
    expect(first?.text()).toBe('before 0');
  });

  it("killing the client's own node ends its connection with ConnectionClosedError at once and settles everything pending", async () => {
    const { ch: declarer } = await openOn(1);
    const queue = await quorumQueue(declarer, 'own-node-killed');
    const { conn, ch } = await openOn(2);
    const closed = new Promise<Error | undefined>((done) => conn.once('close', done));
    conn.on('error', () => undefined);

    // Pending at the kill: an iterator waiting on an empty queue, and a confirmed publisher loop.
    const messages = ch.consume(queue, { prefetch: 1 });
    const next = settled(messages.next());
    let published = 0;
    const publisher = settled(
      (async () => {
        const out = await conn.channel();
        for (;;) {
          await out.publishConfirmed('', queueName('unrouted'), 'x');
          published += 1;
        }
      })(),
    );
    while (published < 10) await sleep(20);

    await killNode(2);
    const killedAt = Date.now();
    const error = await within(closed, 10_000);
    const closeMs = Date.now() - killedAt;

    expect(error).toBeInstanceOf(ConnectionClosedError);
    const reason = error as ConnectionClosedError;
    // The OS closes a killed process's sockets; a node shutting down would say 320 instead.
    expect(reason.by === 'socket' || (reason.by === 'server' && reason.replyCode === 320)).toBe(true);
    expect(closeMs).toBeLessThan(5_000);

    const nextResult = await within(next.result, 5_000);
    expect(next.state()).toBe('rejected');
    expect(nextResult).toBeInstanceOf(ClosedError);
    const publishResult = await within(publisher.result, 5_000);
    expect(publisher.state()).toBe('rejected');
    expect(publishResult).toBeInstanceOf(ClosedError);
    await expect(within(conn.channel(), 5_000)).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(within(conn.close(), 5_000)).resolves.not.toBe('still pending');
  });

  it('with 2 of 3 nodes down a confirmed publish to a quorum queue neither acks nor nacks; after a node returns, publishes confirm', async () => {
    const { ch } = await openOn(1);
    const queue = await quorumQueue(ch, 'majority-lost');
    await ch.confirmSelect();
    await ch.publishConfirmed('', queue, 'with all three');

    await killNode(2);
    await killNode(3);
    const stuck = settled(ch.publishConfirmed('', queue, 'without a majority'));
    // The leader cannot commit: no basic.ack, and no basic.nack either (a timeout is not a nack).
    await sleep(5_000);
    expect(stuck.state()).toBe('pending');

    await restartNode(2);
    const outcome = await within(stuck.result, 30_000);
    expect(outcome).not.toBe('still pending');
    expect(outcome).not.toBeInstanceOf(NackError);
    expect(stuck.state()).toBe('fulfilled');
    await expect(within(ch.publishConfirmed('', queue, 'majority back'), 30_000)).resolves.toBeUndefined();
    expect((await ch.queueDeclare(queue, { passive: true })).messageCount).toBe(3);
  });
});
