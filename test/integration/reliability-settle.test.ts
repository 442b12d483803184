/**
 * R12 (everything settles) and R15 (one connection.close for many close() calls) against the real
 * broker. Requests are held on the way with the fault proxy, so each operation is really pending
 * when the connection or channel ends; every one of them must reject within 1 s, and close()
 * must finish within closeTimeout even when close-ok never arrives.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChannelClosedError, ConnectionClosedError, type Connection, type ConnectionOptions,
} from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import type { ProxyConnection } from '../support/fault-proxy.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { closeConnections } from '../support/rabbitmqctl.js';
import {
  connectNamed, connectProxied, lateOrWrong, recordMethods, settleAll, slowest, sleep, stage, uniqueName, until, watch,
  within, type Proxied, type Stage, type Watched,
} from './reliability-support.js';

const CLOSE_TIMEOUT = 1000;
const SETTLE_LIMIT = 1000;

/** Starts one operation of each kind; none can complete while the broker sees nothing of them. */
function leavePending(conn: Connection, s: Stage): Watched[] {
  const sink = uniqueName('nowhere');
  return [
    watch('queue.declare (in flight)', s.rpc.queueDeclare(uniqueName('q'), { exclusive: true })),
    watch('queue.declare (queued behind it)', s.rpc.queueDeclare(uniqueName('q'), { exclusive: true })),
    watch('basic.get', s.get.basicGet(s.queue)),
    watch('publishConfirmed 1', s.confirm.publishConfirmed('', sink, 'one')),
    watch('publishConfirmed 2', s.confirm.publishConfirmed('', sink, 'two')),
    watch('publishConfirmed 3 (mandatory)', s.confirm.publishConfirmed('', sink, 'three', {}, { mandatory: true })),
    watch('waitForConfirms', s.confirm.waitForConfirms()),
    watch('consumer iterator next()', s.iterator.next()),
    watch('channel.open', conn.channel()),
  ];
}

async function expectStillPending(watched: readonly Watched[]): Promise<void> {
  await sleep(150);
  expect(watched.filter((w) => w.outcome !== 'pending').map((w) => `${w.label}: ${w.outcome}`)).toEqual([]);
}

const connections = trackConnections();
afterEach(() => connections.closeAll());

/** A connection named `label` (made unique) through a fresh fault proxy, tracked, with its stage set. */
async function stagedThroughProxy(
  label: string, options: ConnectionOptions = { closeTimeout: CLOSE_TIMEOUT },
): Promise<Proxied & { name: string; s: Stage }> {
  const name = uniqueName(label);
  const proxied = connections.trackProxied(await connectProxied(name, options));
  return { ...proxied, name, s: await stage(proxied.conn, 'settle') };
}

/**
 * {@link stagedThroughProxy}; then `hold` stops traffic at the proxy, and one operation of each
 * kind is left pending and checked to stay so.
 */
async function pendingBehindProxy(
  label: string, hold: (link: ProxyConnection) => void,
): Promise<Proxied & { name: string; pending: Watched[] }> {
  const staged = await stagedThroughProxy(label);
  hold(staged.link);
  const pending = leavePending(staged.conn, staged.s);
  await expectStillPending(pending);
  return { ...staged, pending };
}

/**
 * Calls `close` at t0 and waits for it and `pending` to settle: every pending operation must
 * reject with `errorType` within SETTLE_LIMIT, and the close must resolve within closeTimeout.
 */
async function expectCloseSettles(
  label: string, close: () => Promise<void>, pending: readonly Watched[], errorType: typeof ConnectionClosedError | typeof ChannelClosedError,
): Promise<{ t0: number; closing: Watched }> {
  const t0 = performance.now();
  const closing = watch(label, close());
  await settleAll([...pending, closing], CLOSE_TIMEOUT + 2000);
  expect(lateOrWrong(pending, t0, SETTLE_LIMIT, errorType)).toEqual([]);
  expect(closing.outcome).toBe('resolved');
  expect(closing.settledAt! - t0).toBeLessThanOrEqual(CLOSE_TIMEOUT + 750);
  return { t0, closing };
}

describe('R12: every pending operation settles', () => {
  it('client close(): all pending reject at once; close() ends within closeTimeout though the broker never hears it', async () => {
    const { proxy, conn, pending } = await pendingBehindProxy('r12-client-close', (link) => link.pause());
    const { t0, closing } = await expectCloseSettles('close()', () => conn.close(), pending, ConnectionClosedError);
    console.log(`[R12 client close] slowest pending ${slowest(pending, t0).toFixed(1)} ms, close() ${(closing.settledAt! - t0).toFixed(0)} ms (closeTimeout ${CLOSE_TIMEOUT})`);
    await proxy.close();
    await expectNoLeakedHandles();
  });

  it('client close() with close-ok held back (downstream paused): close() ends within closeTimeout', async () => {
    const { proxy, conn, pending } = await pendingBehindProxy('r12-closeok-held', (link) => link.pauseDownstream());
    const { t0, closing } = await expectCloseSettles('close()', () => conn.close(), pending, ConnectionClosedError);
    expect(closing.settledAt! - t0).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 50);
    await proxy.close();
    await expectNoLeakedHandles();
  });

  it('channel close() with close-ok held back: resolves within closeTimeout, its pending calls reject', async () => {
    const name = uniqueName('r12-ch-closeok-held');
    const { link, conn } = connections.trackProxied(await connectProxied(name, { closeTimeout: CLOSE_TIMEOUT }));
    const ch = await conn.channel();
    link.pauseDownstream();
    const declare = watch('queue.declare', ch.queueDeclare(uniqueName('q'), { exclusive: true }));
    await sleep(100);
    await expectCloseSettles('channel close()', () => ch.close(), [declare], ChannelClosedError);
  });

  it('server close 320 (rabbitmqctl close_connection): all pending reject', async () => {
    const { name, proxy, conn, pending } = await pendingBehindProxy('r12-server-320', (link) => link.pause());
    const closeEvent = new Promise<unknown>((done) => conn.once('close', done));

    expect(await closeConnections(name, 'R12 forced close')).toBe(1);
    const t0 = performance.now(); // close_connection returns once the broker has sent connection.close
    await settleAll(pending, SETTLE_LIMIT + 2000);

    expect(lateOrWrong(pending, t0, SETTLE_LIMIT, ConnectionClosedError)).toEqual([]);
    const err = (await closeEvent) as ConnectionClosedError;
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err.replyCode).toBe(320);
    expect(err.by).toBe('server');
    expect(pending.every((w) => (w.error as ConnectionClosedError).replyCode === 320)).toBe(true);
    await proxy.close();
    await expectNoLeakedHandles();
  });

  it('socket reset (proxy drop): all pending reject', async () => {
    const { proxy, link, pending } = await pendingBehindProxy('r12-reset', (l) => l.pause());

    const t0 = performance.now();
    link.drop();
    await settleAll(pending, SETTLE_LIMIT + 2000);

    expect(lateOrWrong(pending, t0, SETTLE_LIMIT, ConnectionClosedError)).toEqual([]);
    expect((pending[0]!.error as ConnectionClosedError).by).toBe('socket');
    console.log(`[R12 reset] slowest pending ${slowest(pending, t0).toFixed(1)} ms`);
    await proxy.close();
    await expectNoLeakedHandles();
  });

  it('heartbeat timeout (heartbeat 1, proxy silent both ways): detected by 3 s, all pending reject', async () => {
    const { proxy, link, conn, s } = await stagedThroughProxy('r12-heartbeat', { heartbeat: 1, closeTimeout: CLOSE_TIMEOUT });
    expect(conn.tuned.heartbeat).toBe(1);
    const closeEvent = watch('close event', new Promise((done) => conn.once('close', done)));
    link.pause();
    link.pauseDownstream();
    const silentFrom = performance.now();
    const pending = leavePending(conn, s);

    await settleAll([...pending, closeEvent], 5000);
    const detectedAfter = closeEvent.settledAt! - silentFrom;
    console.log(`[R12 heartbeat] detected ${detectedAfter.toFixed(0)} ms after silence; slowest pending ${slowest(pending, silentFrom).toFixed(0)} ms`);
    expect(closeEvent.outcome).toBe('resolved');
    // Within 3 intervals, with room for late timers on a loaded machine; a 4-interval bug still fails.
    expect(detectedAfter).toBeLessThanOrEqual(3000 + 500);
    // The deadline is two intervals after the last read, which was at or before `silentFrom`.
    expect(lateOrWrong(pending, silentFrom + 2000, SETTLE_LIMIT, ConnectionClosedError)).toEqual([]);
    await proxy.close();
    await expectNoLeakedHandles();
  });

  for (const fault of ['404 NOT_FOUND', '406 PRECONDITION_FAILED'] as const) {
    it(`channel error ${fault}: every pending operation of that channel rejects, the connection lives on`, async () => {
      const conn = connections.track(await connectNamed(uniqueName('r12-channel-error')));
      const admin = await conn.channel();
      const queue = uniqueName('settle');
      const existing = uniqueName('existing');
      await admin.queueDeclare(queue, { exclusive: true });
      await admin.queueDeclare(existing, { exclusive: true, arguments: { 'x-max-length': 10 } });
      const ch = await conn.channel();
      await ch.confirmSelect();
      const iterator = ch.consume(queue);
      await until('basic.consume-ok', () => iterator.tag !== '');
      const closeEvent = new Promise<unknown>((done) => ch.once('close', done));
      const sink = uniqueName('nowhere');

      const t0 = performance.now();
      const failing = fault.startsWith('404')
        ? ch.queueDeclare(uniqueName('missing'), { passive: true })
        : ch.queueDeclare(existing, { exclusive: true, arguments: { 'x-max-length': 20 } });
      const pending = [
        watch('the failing queue.declare', failing),
        watch('queue.declare (queued)', ch.queueDeclare(uniqueName('q'), { exclusive: true })),
        watch('basic.get (queued)', ch.basicGet(queue)),
        watch('publishConfirmed 1', ch.publishConfirmed('', sink, 'one')),
        watch('publishConfirmed 2', ch.publishConfirmed('', sink, 'two')),
        watch('waitForConfirms', ch.waitForConfirms()),
        watch('consumer iterator next()', iterator.next()),
      ];
      await settleAll(pending, SETTLE_LIMIT + 2000);

      expect(lateOrWrong(pending, t0, SETTLE_LIMIT, ChannelClosedError)).toEqual([]);
      const code = Number(fault.slice(0, 3));
      expect(pending.map((w) => (w.error as ChannelClosedError).replyCode)).toEqual(pending.map(() => code));
      expect(((await closeEvent) as ChannelClosedError).replyCode).toBe(code);
      // Only that channel is gone.
      const other = await conn.channel();
      expect((await other.queueDeclare(queue, { passive: true })).consumerCount).toBe(0);
      await conn.close();
      await expectNoLeakedHandles();
    });
  }

  it('an iterator with two next() calls pending: both settle when the connection ends', async () => {
    const { proxy, s } = await stagedThroughProxy('r12-two-next');
    const first = watch('next() #1', s.iterator.next());
    const second = watch('next() #2', s.iterator.next());
    await sleep(100);
    const t0 = performance.now();
    proxy.connections[0]!.drop();
    await settleAll([first, second], SETTLE_LIMIT + 1000);
    expect(lateOrWrong([first, second], t0, SETTLE_LIMIT, ConnectionClosedError)).toEqual([]);
  });
});

describe('R15: concurrent close() calls', () => {
  it('ten concurrent connection close() calls send one connection.close and all resolve', async () => {
    const { proxy, link, conn } = connections.trackProxied(await connectProxied(uniqueName('r15')));
    const sent = recordMethods(link, 'c2s');
    const received = recordMethods(link, 's2c');
    const ch = await conn.channel();
    await ch.queueDeclare(uniqueName('q'), { exclusive: true });

    const closes = Array.from({ length: 10 }, (_, i) => watch(`close() #${i + 1}`, conn.close()));
    await settleAll(closes, 5000);
    await within(link.closed, 2000);

    expect(closes.filter((w) => w.outcome !== 'resolved').map((w) => `${w.label}: ${w.outcome}`)).toEqual([]);
    const is = (classId: number, methodId: number) => (m: { channel: number; classId: number; methodId: number }) =>
      m.channel === 0 && m.classId === classId && m.methodId === methodId;
    expect(sent().filter(is(10, 50))).toHaveLength(1); // connection.close
    expect(received().filter(is(10, 51))).toHaveLength(1); // connection.close-ok
    await expect(conn.close()).resolves.toBeUndefined();
    await proxy.close();
    await expectNoLeakedHandles();
  });

  it('ten concurrent channel close() calls send one channel.close and all resolve', async () => {
    const { link, conn } = connections.trackProxied(await connectProxied(uniqueName('r15-channel')));
    const sent = recordMethods(link, 'c2s');
    const ch = await conn.channel();
    const closes = Array.from({ length: 10 }, (_, i) => watch(`ch.close() #${i + 1}`, ch.close()));
    await settleAll(closes, 5000);
    expect(closes.filter((w) => w.outcome !== 'resolved').map((w) => `${w.label}: ${w.outcome}`)).toEqual([]);
    expect(sent().filter((m) => m.channel === ch.id && m.classId === 20 && m.methodId === 40)).toHaveLength(1);
    // The connection is still fine.
    await (await conn.channel()).queueDeclare(uniqueName('q'), { exclusive: true });
  });
});
