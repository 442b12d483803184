/**
 * R7 and R8 with a 1 s heartbeat: a silent broker is detected between two and three intervals
 * and everything pending settles; an idle or receive-only client still writes a frame at least
 * every interval/2 (+100 ms of timer slack).
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/client/errors.js';
import { FrameType } from '../../src/frames/constants.js';
import { FakeBroker, type FakePeer, type ReceivedFrame } from '../support/fake-broker.js';
import { lateOrResolved, leavePending } from '../support/fake-broker-pending.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { hex } from '../support/hex.js';

const INTERVAL_MS = 1000;
/**
 * The client writes every interval/2 (500 ms); a loaded machine can fire that timer a few hundred
 * ms late. 850 ms still fails a client that writes only once per interval, or not at all.
 */
const MAX_HEARTBEAT_GAP_MS = INTERVAL_MS - 150;

let fb: FakeBroker | undefined;
afterEach(async () => {
  await fb?.close();
  fb = undefined;
});

async function heartbeatConnection(heartbeat = 1) {
  fb = await FakeBroker.start(async (peer) => {
    await peer.handshake({ tune: { heartbeat } });
  });
  const conn = await fb.connect();
  const peer = await fb.peer();
  await fb.finished();
  return { conn, peer };
}

/** Gaps between consecutive client frames from `since` on, the first measured from `since`. */
function gapsAfter(frames: readonly ReceivedFrame[], since: number, until: number): number[] {
  const times = [since, ...frames.filter((f) => f.at > since && f.at <= until).map((f) => f.at), until];
  return times.slice(1).map((t, i) => t - times[i]!);
}

function openFrameAt(peer: FakePeer): number {
  const open = peer.received.find((f) => f.method?.name === 'connection.open');
  if (!open) throw new Error('no connection.open seen');
  return open.at;
}

describe('R7: a silent broker', () => {
  it('is declared dead between 2x and 3x the interval; the socket is destroyed and everything pending rejects', async () => {
    const { conn, peer } = await heartbeatConnection();
    expect(conn.tuned.heartbeat).toBe(1);
    const closeEvents: unknown[] = [];
    conn.on('close', (e) => closeEvents.push(e));
    conn.on('error', () => undefined);
    const ops = await leavePending(conn, peer);
    // From here on the fake writes nothing at all.
    const lastWrite = peer.lastWriteAt;
    const closed = await peer.closed;
    const silentFor = closed.at - lastWrite;
    expect(silentFor).toBeGreaterThanOrEqual(2 * INTERVAL_MS - 5);
    expect(silentFor).toBeLessThanOrEqual(3 * INTERVAL_MS);
    expect(await lateOrResolved(ops.all, closed.at - 100, 600)).toEqual([]);
    for (const op of ops.all) {
      expect(op.error).toBeInstanceOf(ConnectionClosedError);
      expect(op.error).toMatchObject({ by: 'socket' });
      expect(op.at - lastWrite).toBeGreaterThanOrEqual(2 * INTERVAL_MS - 5);
    }
    expect(closeEvents).toHaveLength(1);
    expect((closeEvents[0] as Error).message).toMatch(/heartbeat/);
    // While waiting, the client itself kept sending heartbeats.
    expect(peer.received.filter((f) => f.type === FrameType.HEARTBEAT && f.at > lastWrite).length).toBeGreaterThanOrEqual(3);
    await fb!.close();
    await expectNoLeakedHandles();
  });
});

describe('R8: the client keeps writing', () => {
  it('an idle connection sends a heartbeat frame (08 0000 00000000 ce) at least every interval/2 (within 850 ms)', async () => {
    const { conn, peer } = await heartbeatConnection();
    const stop = peer.heartbeatEvery(400);
    const since = openFrameAt(peer);
    await peer.sleep(2600);
    const until = performance.now();
    stop();
    const frames = peer.received.filter((f) => f.at > since);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const f of frames) expect(f.bytes).toEqual(hex`08 0000 00000000 ce`);
    expect(Math.max(...gapsAfter(peer.received, since, until))).toBeLessThanOrEqual(MAX_HEARTBEAT_GAP_MS);
    await conn.close();
  });

  it('a receive-only connection (noAck deliveries streaming in, no heartbeats from the broker) still sends heartbeats and stays up', async () => {
    const { conn, peer } = await heartbeatConnection();
    peer.autoReply(['channel.open', 'basic.consume']);
    const closeEvents: unknown[] = [];
    conn.on('close', (e) => closeEvents.push(e));
    const ch = await conn.channel();
    let delivered = 0;
    const { consumerTag } = await ch.basicConsume('stream', () => { delivered++; }, { noAck: true });
    const since = peer.received.at(-1)!.at;
    let tag = 0;
    const streaming = setInterval(() => peer.deliver(ch.id, { consumerTag, deliveryTag: ++tag }, 'tick'), 100);
    await peer.sleep(2600);
    clearInterval(streaming);
    const until = performance.now();
    expect(delivered).toBeGreaterThanOrEqual(20);
    expect(closeEvents).toEqual([]);
    const after = peer.received.filter((f) => f.at > since);
    expect(after.every((f) => f.type === FrameType.HEARTBEAT)).toBe(true);
    expect(Math.max(...gapsAfter(peer.received, since, until))).toBeLessThanOrEqual(MAX_HEARTBEAT_GAP_MS);
    await conn.close();
  });

  it('with heartbeats negotiated off, a silent broker is not declared dead and no heartbeat is sent', async () => {
    const { conn, peer } = await heartbeatConnection(0);
    expect(conn.tuned.heartbeat).toBe(0);
    const closeEvents: unknown[] = [];
    conn.on('close', (e) => closeEvents.push(e));
    const since = openFrameAt(peer);
    await peer.sleep(1500);
    expect(closeEvents).toEqual([]);
    expect(peer.received.filter((f) => f.at > since)).toEqual([]);
    await conn.close();
  });
});
