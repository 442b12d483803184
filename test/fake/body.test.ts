/**
 * What basicPublish and publishConfirmed accept as a body: a string or bytes. Anything else is
 * refused with EncodeError before a single frame is written.
 */
import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../src/frames/errors.js';
import { fakeChannels } from '../support/fake-channel.js';

const open = fakeChannels();

const NOT_BODIES: Array<[string, unknown]> = [
  ['a number', 12345],
  ['a plain object', { hello: 'world' }],
  ['null', null],
  ['undefined', undefined],
  ['an array of numbers', [1, 2, 3]],
  ['a boolean', true],
];

describe('a body that is not a string or bytes', () => {
  it.each(NOT_BODIES)('basicPublish throws EncodeError for %s and sends nothing', async (_what, body) => {
    const { peer, ch } = await open();
    expect(() => ch.basicPublish('', 'q', body as string)).toThrow(EncodeError);
    expect(() => ch.basicPublish('', 'q', body as string)).toThrow(/basic\.publish: body must be a string/);
    await peer.expectNothing(50);
    // the channel is still usable
    expect(ch.isOpen).toBe(true);
    ch.basicPublish('', 'q', 'fine');
    expect((await peer.expect('basic.publish')).args.routingKey).toBe('q');
  });

  it.each(NOT_BODIES)('publishConfirmed rejects with EncodeError for %s, before confirm.select or any frame', async (_what, body) => {
    const { peer, ch } = await open();
    await expect(ch.publishConfirmed('', 'q', body as string)).rejects.toThrow(EncodeError);
    await peer.expectNothing(50);
  });
});

describe('bodies that are bytes', () => {
  it('a Uint16Array, a DataView, an ArrayBuffer and a Buffer slice go out with all of their bytes', async () => {
    const { peer, ch } = await open();
    const u16 = new Uint16Array([0x0102, 0x0304, 0xfffe]);
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const bodies: Array<[ArrayBufferView | ArrayBuffer, number[]]> = [
      [u16, [...new Uint8Array(u16.buffer)]],
      [new DataView(backing.buffer, 2, 3), [1, 2, 3]],
      [new Uint8Array([5, 6, 7]).buffer, [5, 6, 7]],
      [Buffer.from([0, 1, 2, 3, 4]).subarray(1, 4), [1, 2, 3]],
    ];
    for (const [body] of bodies) ch.basicPublish('', 'q', body);
    for (const [, bytes] of bodies) {
      const got = await peer.expect('basic.publish');
      expect([...(got.body ?? [])]).toEqual(bytes);
    }
  });
});
