/**
 * Closing, from both sides (R12, R15): close() always finishes within closeTimeout, concurrent
 * calls share one connection.close, a server close settles everything, and nothing is left
 * running afterwards.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/index.js';
import { ChannelClosedError, ConnectionClosedError } from '../../src/client/errors.js';
import type { ConnectionOptions } from '../../src/client/options/index.js';
import { FakeBroker, type FakePeer, type HandshakeOptions } from '../support/fake-broker.js';
import { lateOrResolved, leavePending, track } from '../support/fake-broker-pending.js';
import { expectNoLeakedHandles } from '../support/guards.js';

let fb: FakeBroker | undefined;
afterEach(async () => {
  await fb?.close();
  fb = undefined;
});

async function open(options: ConnectionOptions = {}, hs: HandshakeOptions = {}): Promise<{ conn: Connection; peer: FakePeer; events: { close: unknown[]; error: unknown[] } }> {
  fb = await FakeBroker.start(async (peer) => {
    await peer.handshake(hs);
  });
  const conn = await fb.connect(options);
  const events = { close: [] as unknown[], error: [] as unknown[] };
  conn.on('close', (e) => events.close.push(e));
  conn.on('error', (e) => events.error.push(e));
  const peer = await fb.peer();
  await fb.finished();
  return { conn, peer, events };
}

describe('client close', () => {
  it('resolves within closeTimeout when close-ok never comes, and destroys the socket', async () => {
    const { conn, peer, events } = await open({ closeTimeout: 200 }, { answerClose: false });
    const t0 = performance.now();
    const closing = track('close', conn.close());
    const m = await peer.expect('connection.close', { channel: 0 });
    expect(m.args).toMatchObject({ replyCode: 200, classId: 0, methodId: 0 });
    await closing.settled;
    expect(closing.status).toBe('fulfilled');
    expect(closing.at - t0).toBeGreaterThanOrEqual(190);
    // Bounds leave a loaded machine 800 ms and still catch the 5 s default closeTimeout.
    expect(closing.at - t0).toBeLessThan(1000);
    const closed = await peer.closed;
    expect(closed.at - t0).toBeLessThan(1000);
    expect(events.close).toEqual([undefined]);
    expect(events.error).toEqual([]);
    await fb!.close();
    await expectNoLeakedHandles();
  });

  it('rejects every pending operation at once with ConnectionClosedError 200 by the client', async () => {
    const { conn, peer } = await open();
    const ops = await leavePending(conn, peer);
    const t0 = performance.now();
    const closing = conn.close();
    expect(await lateOrResolved(ops.all, t0, 500)).toEqual([]);
    for (const op of ops.all) {
      expect(op.error).toBeInstanceOf(ConnectionClosedError);
      expect(op.error).toMatchObject({ replyCode: 200, by: 'client' });
    }
    await closing;
    await expect(ops.channel.queueDeclare('after')).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(conn.channel()).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('ten concurrent close() calls send one connection.close and all resolve', async () => {
    const { conn, peer } = await open();
    const closes = Array.from({ length: 10 }, () => conn.close());
    await Promise.all(closes);
    await peer.closed;
    expect(peer.methods.filter((m) => m.name === 'connection.close')).toHaveLength(1);
    await expect(conn.close()).resolves.toBeUndefined();
  });

  it('close() while the broker is blocked and reads nothing (16 MiB unsent) still finishes within closeTimeout', async () => {
    const { conn, peer } = await open({ closeTimeout: 200 }, { answerClose: false });
    peer.autoReply(['channel.open']);
    const ch = await conn.channel();
    const blocked: unknown[] = [];
    conn.on('blocked', (reason) => blocked.push(reason));
    peer.send(0, 'connection.blocked', { reason: 'low on memory' });
    await peer.sleep(20);
    expect(blocked).toEqual(['low on memory']);
    peer.socket.pause();
    const chunk = Buffer.alloc(256 * 1024, 0x42);
    for (let i = 0; i < 64; i++) ch.basicPublish('', 'q', chunk);
    await peer.sleep(20);
    const t0 = performance.now();
    await conn.close();
    expect(performance.now() - t0).toBeLessThan(1000); // closeTimeout is 200 ms; stuck behind the unsent bytes, close would never end
    expect(peer.methods.map((m) => m.name)).not.toContain('connection.close');
  });

  it('close() after the socket was lost resolves at once', async () => {
    const { conn, peer, events } = await open();
    peer.destroy();
    await peer.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(events.close).toHaveLength(1);
    const t0 = performance.now();
    await conn.close();
    expect(performance.now() - t0).toBeLessThan(500); // no wait for a close-ok or closeTimeout
  });

  it('socket loss: the close error says what happened, without a made-up reply code name', async () => {
    const { peer, events } = await open();
    peer.destroy();
    await peer.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(events.close[0]).toMatchObject({ replyCode: 0, by: 'socket' });
    const message = (events.close[0] as Error).message;
    expect(message).toContain('socket closed by peer');
    expect(message).not.toMatch(/UNKNOWN_REPLY_CODE/);
  });

  it('leaves no socket or timer behind, heartbeats included', async () => {
    const { conn } = await open({}, { tune: { heartbeat: 1 } });
    expect(conn.tuned.heartbeat).toBe(1);
    const ch = await (async () => {
      const peer = await fb!.peer();
      peer.autoReply(['channel.open', 'queue.declare']);
      const c = await conn.channel();
      await c.queueDeclare('q', { timeout: 10_000 });
      return c;
    })();
    expect(ch.isOpen).toBe(true);
    await conn.close();
    await fb!.close();
    await expectNoLeakedHandles();
  });
});

describe('server close', () => {
  it('connection.close 320: ConnectionClosedError{320, by server} everywhere, close-ok sent, socket gone', async () => {
    const { conn, peer, events } = await open({}, { answerClose: false });
    const ops = await leavePending(conn, peer);
    const t0 = performance.now();
    peer.send(0, 'connection.close', { replyCode: 320, replyText: 'CONNECTION_FORCED - broker forced connection closure with reason \'shutdown\'', classId: 0, methodId: 0 });
    await peer.expect('connection.close-ok', { channel: 0, timeout: 500 });
    expect(await lateOrResolved(ops.all, t0, 500)).toEqual([]);
    for (const op of ops.all) {
      expect(op.error).toBeInstanceOf(ConnectionClosedError);
      expect(op.error).toMatchObject({ replyCode: 320, by: 'server', soft: false });
    }
    expect(events.close).toHaveLength(1);
    expect(events.close[0]).toBeInstanceOf(ConnectionClosedError);
    expect(events.close[0]).toMatchObject({ replyCode: 320, by: 'server' });
    expect((events.close[0] as Error).message).toMatch(/^320 CONNECTION_FORCED - broker forced/);
    expect(events.error).toEqual([events.close[0]]);
    peer.end();
    await peer.closed;
    await expect(conn.close()).resolves.toBeUndefined();
    await fb!.close();
    await expectNoLeakedHandles();
  });
});

describe('channel close', () => {
  it('resolves within closeTimeout when channel.close-ok never comes', async () => {
    const { conn, peer } = await open({ closeTimeout: 200 });
    peer.autoReply(['channel.open']);
    const ch = await conn.channel();
    const t0 = performance.now();
    const closing = ch.close();
    expect(ch.close()).toBe(closing);
    await peer.expect('channel.close', { channel: ch.id });
    await closing;
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1000); // the channel's 200 ms, not the 5 s default
    await expect(ch.queueDeclare('x')).rejects.toBeInstanceOf(ChannelClosedError);
    await conn.close();
  });
});
