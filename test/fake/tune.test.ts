/**
 * R5: tune negotiation end to end. The fake proposes connection.tune values; the test checks the
 * tune-ok the client answers with, and that the agreed limits are the ones it then lives by.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/index.js';
import { AuthenticationError, ConnectionClosedError, UsageError } from '../../src/client/errors.js';
import { ArgumentError, type ConnectionOptions } from '../../src/client/options/index.js';
import { FrameType } from '../../src/frames/constants.js';
import { FakeBroker, type HandshakeResult } from '../support/fake-broker.js';

let fb: FakeBroker | undefined;
afterEach(async () => {
  await fb?.close();
  fb = undefined;
});

interface Tune { channelMax: number; frameMax: number; heartbeat: number }

/** Connect with `client` options to a fake proposing `server`; return the tune-ok and the connection. */
async function negotiate(client: ConnectionOptions | string, server: Tune): Promise<{ tuneOk: Tune; conn: Connection }> {
  let hs: HandshakeResult | undefined;
  fb = await FakeBroker.start(async (peer) => {
    hs = await peer.handshake({ tune: server });
  });
  const conn = typeof client === 'string'
    ? await fb.connect({ url: client.replace('PORT', String(fb.port)) })
    : await fb.connect(client);
  await fb.finished();
  return { tuneOk: hs!.tuneOk, conn };
}

const U32 = 0xffffffff;

describe('channel_max and frame_max', () => {
  const table: Array<[string, ConnectionOptions, Tune, Tune]> = [
    ['RabbitMQ defaults', {}, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }],
    ['server says 0 (no limit): take the client\'s', {}, { channelMax: 0, frameMax: 0, heartbeat: 0 }, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }],
    ['small server frame_max 4096 (the spec minimum) is accepted', {}, { channelMax: 2047, frameMax: 4096, heartbeat: 0 }, { channelMax: 2047, frameMax: 4096, heartbeat: 0 }],
    ['server frame_max 8192', {}, { channelMax: 2047, frameMax: 8192, heartbeat: 0 }, { channelMax: 2047, frameMax: 8192, heartbeat: 0 }],
    ['huge server values: the client\'s smaller ones', {}, { channelMax: 65535, frameMax: U32, heartbeat: 0 }, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }],
    ['client 0 (no limit) never answers 0 to a server limit', { channelMax: 0, frameMax: 0 }, { channelMax: 65535, frameMax: U32, heartbeat: 0 }, { channelMax: 65535, frameMax: U32, heartbeat: 0 }],
    ['both 0: 0', { channelMax: 0, frameMax: 0 }, { channelMax: 0, frameMax: 0, heartbeat: 0 }, { channelMax: 0, frameMax: 0, heartbeat: 0 }],
    ['client smaller', { channelMax: 10, frameMax: 8192 }, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }, { channelMax: 10, frameMax: 8192, heartbeat: 0 }],
    ['client larger frame_max', { frameMax: 1 << 20 }, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }],
  ];
  it.each(table)('%s', async (_label, client, server, expected) => {
    const { tuneOk, conn } = await negotiate(client, server);
    expect(tuneOk).toEqual(expected);
    expect(conn.tuned).toEqual(expected);
    await conn.close();
  });

  it('URI query options (channel_max, frame_max, heartbeat) reach tune-ok', async () => {
    const { tuneOk, conn } = await negotiate('amqp://guest:guest@127.0.0.1:PORT/?channel_max=7&frame_max=16384&heartbeat=0', { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
    expect(tuneOk).toEqual({ channelMax: 7, frameMax: 16384, heartbeat: 0 });
    await conn.close();
  });

  it.each([1, 512, 4095])('server frame_max %i (below 4096) is refused: connection.close 501, no tune-ok', async (frameMax) => {
    let after: string[] = [];
    let close: { replyCode: number } | undefined;
    fb = await FakeBroker.start(async (peer) => {
      peer.send(0, 'connection.start', { versionMajor: 0, versionMinor: 9, serverProperties: {}, mechanisms: 'PLAIN', locales: 'en_US' });
      await peer.expect('connection.start-ok');
      peer.send(0, 'connection.tune', { channelMax: 2047, frameMax, heartbeat: 0 });
      const next = await peer.next({ timeout: 1000 });
      after = [next.kind === 'method' ? next.name : next.kind];
      if (next.kind === 'method' && next.name === 'connection.close') close = next.args;
    });
    const err = await fb.connect().then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ replyCode: 501 });
    await fb.finished();
    expect(after).toEqual(['connection.close']);
    expect(close?.replyCode).toBe(501);
  });

  it.each<[string, ConnectionOptions]>([
    ['frameMax -1', { frameMax: -1 }],
    ['frameMax 4096 (below 8192)', { frameMax: 4096 }],
    ['channelMax 65536', { channelMax: 65536 }],
    ['heartbeat -5', { heartbeat: -5 }],
  ])('client option %s is refused with ArgumentError before any connection', async (_label, opts) => {
    fb = await FakeBroker.start();
    await expect(fb.connect(opts)).rejects.toBeInstanceOf(ArgumentError);
    expect(fb.peers).toHaveLength(0);
  });
});

describe('heartbeat pairs {undefined,0,5,60} x {0,5,60}', () => {
  // client \ server:  0   5   60
  const expected: Array<[number | undefined, number, number]> = [
    [undefined, 0, 0], [undefined, 5, 5], [undefined, 60, 60],
    [0, 0, 0], [0, 5, 0], [0, 60, 0],
    [5, 0, 5], [5, 5, 5], [5, 60, 5],
    [60, 0, 60], [60, 5, 5], [60, 60, 60],
  ];
  it.each(expected)('client %s, server %i -> tune-ok heartbeat %i', async (client, server, want) => {
    const { tuneOk, conn } = await negotiate(client === undefined ? {} : { heartbeat: client }, { channelMax: 2047, frameMax: 131072, heartbeat: server });
    expect(tuneOk.heartbeat).toBe(want);
    expect(conn.tuned.heartbeat).toBe(want);
    await conn.close();
  });
});

describe('the agreed limits are the ones used', () => {
  it('frame_max 8192: a 20000-byte body goes out in body frames of at most 8192 bytes, reassembled exactly', async () => {
    const { conn } = await negotiate({}, { channelMax: 2047, frameMax: 8192, heartbeat: 0 });
    const peer = await fb!.peer();
    peer.autoReply(['channel.open']);
    const ch = await conn.channel();
    const body = Buffer.alloc(20000, 0).map((_, i) => i % 251);
    ch.basicPublish('', 'q', body);
    const m = await peer.expect('basic.publish');
    expect(m.body).toEqual(body);
    const bodyFrames = peer.received.filter((f) => f.type === FrameType.BODY);
    expect(bodyFrames.map((f) => f.bytes.length)).toEqual([8192, 8192, 20000 - 2 * 8184 + 8]);
    for (const f of peer.received) expect(f.bytes.length).toBeLessThanOrEqual(8192);
    await conn.close();
  });

  it('channel_max 2: a third channel is refused locally, and no channel.open is sent for it', async () => {
    const { conn } = await negotiate({}, { channelMax: 2, frameMax: 131072, heartbeat: 0 });
    const peer = await fb!.peer();
    peer.autoReply(['channel.open']);
    const a = await conn.channel();
    const b = await conn.channel();
    expect([a.id, b.id].sort()).toEqual([1, 2]);
    await expect(conn.channel()).rejects.toBeInstanceOf(UsageError);
    await peer.expectNothing(50);
    expect(peer.methods.filter((m) => m.name === 'channel.open')).toHaveLength(2);
    await conn.close();
  });

  it('negotiated frame_max 0 (both sides unlimited): EOF after open is a connection loss, not an authentication failure', async () => {
    fb = await FakeBroker.start(async (peer) => {
      await peer.handshake({ tune: { channelMax: 0, frameMax: 0, heartbeat: 0 }, openOk: false });
      peer.end();
    });
    const err = await fb.connect({ frameMax: 0 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).not.toBeInstanceOf(AuthenticationError);
  });
});
