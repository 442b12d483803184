/**
 * R27: connection.blocked from a real memory alarm (with R11's containment of throwing
 * blocked/unblocked listeners, R12's "close while blocked", and blockedConnectionTimeout).
 *
 * `set_vm_memory_high_watermark 0.0000001` raises the alarm on the whole node: every publisher
 * on the broker is blocked while it lasts, so the window is kept short and the watermark is
 * always put back (finally and afterAll).
 */
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionClosedError, type Channel, type Connection } from '../../src/index.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { restoreMemoryWatermark, setMemoryWatermark } from '../support/rabbitmqctl.js';
import {
  bufferedBytes, connectNamed, lateOrWrong, recordProcessFaults, settleAll, sleep, slowest, stage, uniqueName, until,
  watch, within, type Watched,
} from './reliability-support.js';

const HEARTBEAT = 2;
const CLOSE_TIMEOUT = 1500;
const BLOCKED_TIMEOUT = 1500;
const HWM = 256 * 1024;
const BODY = Buffer.alloc(1024, 0x62);

afterAll(async () => {
  await restoreMemoryWatermark();
});

/** Timestamps of a connection's events. */
interface Seen {
  blocked: number[];
  unblocked: number[];
  closed: unknown[];
  closedAt: number[];
}

function observe(conn: Connection): Seen {
  const seen: Seen = { blocked: [], unblocked: [], closed: [], closedAt: [] };
  conn.on('blocked', () => seen.blocked.push(performance.now()));
  conn.on('unblocked', () => seen.unblocked.push(performance.now()));
  conn.on('close', (e) => {
    seen.closed.push(e ?? 'clean');
    seen.closedAt.push(performance.now());
  });
  return seen;
}

/** Listeners that throw and reject on blocked/unblocked (R11); counts their calls. */
function throwingListeners(conn: Connection): Record<'blocked' | 'unblocked', number> {
  const calls = { blocked: 0, unblocked: 0 };
  for (const event of ['blocked', 'unblocked'] as const) {
    conn.on(event, () => { calls[event]++; throw new Error(`${event} listener threw`); });
    conn.on(event, async () => { calls[event]++; throw new Error(`${event} listener rejected`); });
  }
  return calls;
}

/** A {@link stage} on `conn`, and the operations to leave pending on it while blocked. */
async function stageBlocked(conn: Connection) {
  const { queue, rpc, get, confirm, iterator } = await stage(conn, 'blocked');
  return {
    pending: (): Watched[] => [
      watch('queue.declare', rpc.queueDeclare(uniqueName('q'), { exclusive: true })),
      watch('basic.get', get.basicGet(queue)),
      watch('publishConfirmed', confirm.publishConfirmed('', queue, 'x')),
      watch('waitForConfirms', confirm.waitForConfirms()),
      watch('consumer iterator next()', iterator.next()),
      watch('channel.open', conn.channel()),
    ],
  };
}

/** Publishes while basicPublish says true and drained() resolves; returns once nothing moves. */
async function publishUntilStalled(conn: Connection, ch: Channel, routingKey: string): Promise<{ published: number; maxBuffered: number }> {
  let published = 0;
  let maxBuffered = 0;
  for (;;) {
    const ok = ch.basicPublish('', routingKey, BODY);
    published++;
    maxBuffered = Math.max(maxBuffered, bufferedBytes(conn));
    if (!ok && (await within(ch.drained().then(() => true), 500)) === undefined) return { published, maxBuffered };
  }
}

describe('R27: connection.blocked (memory alarm)', () => {
  it('blocked after a publish, bounded publishing, survives 3x heartbeat, close() within closeTimeout, unblocked after the alarm clears', async () => {
    const faults = recordProcessFaults();
    const a = await connectNamed(uniqueName('r27-a'), { heartbeat: HEARTBEAT, closeTimeout: CLOSE_TIMEOUT, writeHighWaterMark: HWM });
    const b = await connectNamed(uniqueName('r27-b'), { heartbeat: HEARTBEAT, closeTimeout: CLOSE_TIMEOUT });
    const c = await connectNamed(uniqueName('r27-c'), { heartbeat: HEARTBEAT, blockedConnectionTimeout: BLOCKED_TIMEOUT });
    const [seenA, seenB, seenC] = [observe(a), observe(b), observe(c)];
    const thrownB = throwingListeners(b); // no 'error' listener on b: listener errors become warnings
    try {
      const stageA = await stageBlocked(a);
      const pubA = await a.channel();
      const queueA = uniqueName('r27-a');
      await pubA.queueDeclare(queueA, { exclusive: true });
      const chB = await b.channel();
      const queueB = uniqueName('r27-b');
      await chB.queueDeclare(queueB, { exclusive: true });
      await chB.confirmSelect();
      const chC = await c.channel();
      await chC.confirmSelect();
      let afterUnblock: Watched | undefined;
      let pendingOnC: Watched | undefined;

      try {
        await setMemoryWatermark(0.0000001);
        // The broker blocks a connection when it next publishes.
        pubA.basicPublish('', queueA, BODY);
        const confirmedB = watch('publishConfirmed on b while blocked', chB.publishConfirmed('', queueB, BODY));
        pendingOnC = watch('publishConfirmed on c while blocked', chC.publishConfirmed('', uniqueName('nowhere'), BODY));
        await until('blocked on a, b and c', () => seenA.blocked.length > 0 && seenB.blocked.length > 0 && seenC.blocked.length > 0, 15_000);
        const blockedAt = Math.max(seenA.blocked[0]!, seenB.blocked[0]!);
        expect(a.blocked && b.blocked).toBe(true);

        // Publishing stays bounded while the broker reads nothing.
        const { published, maxBuffered } = await publishUntilStalled(a, pubA, queueA);
        console.log(`[R27] a stalled after ${published} publishes; max buffered ${maxBuffered} bytes (hwm ${HWM})`);
        expect(maxBuffered).toBeLessThanOrEqual(HWM + BODY.length + 200);

        // blockedConnectionTimeout: c gives up after BLOCKED_TIMEOUT and settles its publish.
        await until('c to close', () => seenC.closed.length > 0, BLOCKED_TIMEOUT + 3000);
        await settleAll([pendingOnC], 1000);
        const cAfter = seenC.closedAt[0]! - seenC.blocked[0]!;
        console.log(`[R27] c (blockedConnectionTimeout ${BLOCKED_TIMEOUT}) closed ${cAfter.toFixed(0)} ms after blocked: ${String(seenC.closed[0])}`);
        expect(cAfter).toBeGreaterThanOrEqual(BLOCKED_TIMEOUT - 50);
        expect(cAfter).toBeLessThanOrEqual(BLOCKED_TIMEOUT + 750);
        expect(seenC.closed[0]).toBeInstanceOf(ConnectionClosedError);
        expect(pendingOnC.outcome).toBe('rejected');

        // Three heartbeat intervals blocked: a and b stay open.
        await sleep(Math.max(0, blockedAt + 3 * HEARTBEAT * 1000 + 200 - performance.now()));
        expect(seenA.closed).toEqual([]);
        expect(seenB.closed).toEqual([]);
        expect(confirmedB.outcome).toBe('pending');
        afterUnblock = confirmedB;

        // Close while blocked: everything pending on a rejects, close() ends within closeTimeout.
        const pending = stageA.pending();
        await sleep(100);
        const t0 = performance.now();
        const closing = watch('close()', a.close());
        await settleAll([...pending, closing], CLOSE_TIMEOUT + 2000);
        const closeMs = closing.settledAt! - t0;
        console.log(`[R27] close() while blocked took ${closeMs.toFixed(0)} ms (closeTimeout ${CLOSE_TIMEOUT}); slowest pending ${slowest(pending, t0).toFixed(1)} ms`);
        expect(lateOrWrong(pending, t0, 1000, ConnectionClosedError)).toEqual([]);
        expect(closing.outcome).toBe('resolved');
        expect(closeMs).toBeLessThanOrEqual(CLOSE_TIMEOUT + 750);
      } finally {
        await restoreMemoryWatermark();
      }

      // The alarm clears: b is unblocked and its publish is confirmed.
      await until('unblocked on b', () => seenB.unblocked.length > 0, 15_000);
      expect(b.blocked).toBe(false);
      await settleAll([afterUnblock!], 5000);
      expect(afterUnblock!.outcome).toBe('resolved');
      await chB.publishConfirmed('', queueB, BODY);
      expect(thrownB).toEqual({ blocked: 2, unblocked: 2 });
      await sleep(50);
      expect(faults.uncaught).toEqual([]);
      expect(faults.unhandled).toEqual([]);
      expect(faults.clientWarnings.length).toBeGreaterThanOrEqual(4);
    } finally {
      faults.dispose();
      await Promise.all([a.close(), b.close(), c.close()].map((p) => p.catch(() => undefined)));
    }
    await expectNoLeakedHandles();
  }, 60_000);
});
