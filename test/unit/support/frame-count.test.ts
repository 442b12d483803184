import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countFrames, FrameType } from '../../support/frame-count.js';

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}

describe('countFrames', () => {
  it('counts frames by type across arbitrary chunk boundaries, after the protocol header', async () => {
    const stream = new PassThrough();
    const counts = countFrames(stream, { protocolHeader: true });
    const bytes = Buffer.concat([
      Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'),
      frame(FrameType.method, 1, Buffer.alloc(12)),
      frame(FrameType.header, 1, Buffer.alloc(14)),
      frame(FrameType.body, 1, Buffer.alloc(100)),
      frame(FrameType.body, 1, Buffer.alloc(3)),
      frame(FrameType.heartbeat, 0, Buffer.alloc(0)),
    ]);
    for (let i = 0; i < bytes.length; i += 5) stream.write(bytes.subarray(i, i + 5));
    await new Promise((r) => setImmediate(r));
    expect(counts.error).toBeUndefined();
    expect(Object.fromEntries(counts.byType)).toEqual({ 1: 1, 2: 1, 3: 2, 8: 1 });
    expect(counts.maxPayload.get(FrameType.body)).toBe(100);
    expect(counts.count(FrameType.body)).toBe(2);
  });

  it('reports a stream that is not framed', async () => {
    const stream = new PassThrough();
    const counts = countFrames(stream, { protocolHeader: false });
    const bad = frame(FrameType.body, 1, Buffer.alloc(4));
    bad[bad.length - 1] = 0;
    stream.write(bad);
    await new Promise((r) => setImmediate(r));
    expect(counts.error).toMatch(/0xCE/);
    expect(counts.count(FrameType.body)).toBe(0);
  });
});
