/**
 * A rejection points at the call that started it: the broker's 404 settles from the socket's data
 * handler, yet `err.stack` names this file, where the `await ch.queueDeclare(...)` was written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelClosedError } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { queueName } from '../support/names.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

const THIS_FILE = 'ops-origin.test.ts';

describe('errors carry the stack of the call that started them', () => {
  it('a passive queue.declare refused with 404 has this file in err.stack, its own class and fields kept', async () => {
    const { ch } = await open();
    ch.on('error', () => undefined);
    const err = await ch.queueDeclare(queueName('missing'), { passive: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelClosedError);
    const e = err as ChannelClosedError;
    expect(e).toMatchObject({ replyCode: 404, methodName: 'queue.declare', by: 'server' });
    expect(e.stack).toContain(THIS_FILE);
    // the error's own first line and frames come first; the caller's frames are appended
    expect(e.stack!.startsWith(`ChannelClosedError: ${e.message}`)).toBe(true);
    // the same error object is the channel's close reason
    expect(ch.closeReason).toBe(e);
  });

});
