/**
 * Rejections settle from timers and socket handlers; each carries the frames of the call that
 * started it, appended to its own stack. Errors that are not the library's are left as they are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/client/channel/channel.js';
import { TimeoutError } from '../../src/client/errors.js';
import { FakeBroker, type FakePeer } from '../support/fake-broker.js';

let fb: FakeBroker | undefined;
afterEach(async () => {
  await fb?.close();
  fb = undefined;
});

async function open(): Promise<{ peer: FakePeer; ch: Channel }> {
  fb = await FakeBroker.start(async (peer) => {
    await peer.handshake();
    peer.autoReply(['channel.open', 'channel.close']);
  });
  const conn = await fb.connect();
  const peer = await fb.peer();
  await fb.finished();
  return { peer, ch: await conn.channel() };
}

describe('origin stacks', () => {
  it('a call that times out rejects with TimeoutError whose stack names this file', async () => {
    const { peer, ch } = await open();
    ch.on('error', () => undefined);
    const err = await ch.queueDeclare('never-answered', { timeout: 50 }).then(() => null, (e: unknown) => e);
    await peer.expect('queue.declare');
    expect(err).toBeInstanceOf(TimeoutError);
    const stack = (err as Error).stack!;
    expect(stack.startsWith(`TimeoutError: ${(err as Error).message}`)).toBe(true);
    expect(stack).toContain('origin.test.ts');
  });

  it("an AbortSignal's own reason is passed through untouched", async () => {
    const { ch } = await open();
    const reason = new Error('stop');
    const before = reason.stack;
    await expect(ch.queueDeclare('q', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(reason.stack).toBe(before);
  });
});
