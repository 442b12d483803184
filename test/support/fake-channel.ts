/**
 * The most common fake-broker setup: a fake that does the handshake and answers channel.open, a
 * connection to it and one open channel, closed again after each test.
 *
 * ```ts
 * const open = fakeChannels();
 * it('...', async () => {
 *   const { peer, ch } = await open();
 *   ch.basicPublish('', 'q', 'x');
 *   await peer.expect('basic.publish');
 * });
 * ```
 */
import { afterEach } from 'vitest';
import type { Channel } from '../../src/client/channel/channel.js';
import type { Connection } from '../../src/index.js';
import { FakeBroker, type FakePeer, type HandshakeOptions } from './fake-broker.js';

/** A connection to a fake broker, the fake's side of it, and a channel open on it. */
export interface FakeChannel {
  conn: Connection;
  peer: FakePeer;
  ch: Channel;
}

/**
 * Registers an `afterEach` that closes the fake broker, and returns the function that starts one
 * (handshake with `hs`), connects and opens a channel. Call once per test file.
 */
export function fakeChannels(): (hs?: HandshakeOptions) => Promise<FakeChannel> {
  let fb: FakeBroker | undefined;
  afterEach(async () => {
    await fb?.close();
    fb = undefined;
  });
  return async (hs = {}) => {
    fb = await FakeBroker.start(async (peer) => {
      await peer.handshake(hs);
      peer.autoReply(['channel.open']);
    });
    const conn = await fb.connect();
    const peer = await fb.peer();
    await fb.finished();
    const ch = await conn.channel();
    return { conn, peer, ch };
  };
}
