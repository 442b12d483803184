import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { brokerUrl } from '../support/broker.js';
import { expectNoLeakedHandles } from '../support/guards.js';

// "AMQP" 0 0 9 1: protocol id, then protocol 0, version 0-9-1 (spec 4.2.2).
const HEADER_0_9_1 = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]);
// A version the broker does not speak: it must answer with the header it accepts and close.
const HEADER_1_0 = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x01, 0x00, 0x00]);
const FRAME_END = 0xce;

function brokerAddress(): { host: string; port: number } {
  const url = new URL(brokerUrl());
  return { host: url.hostname, port: url.port === '' ? 5672 : Number(url.port) };
}

/** Sends `header`, then collects what the broker sends until `enough` says stop or it closes. */
function exchange(header: Buffer, enough: (reply: Buffer) => boolean): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((done, fail) => {
    const socket: Socket = connect(brokerAddress());
    let reply = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy(new Error('broker sent nothing within 5 s')));
    socket.on('connect', () => socket.write(header));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (enough(reply)) {
        socket.destroy();
        done({ reply, closed: false });
      }
    });
    // RabbitMQ may reset rather than FIN after refusing a header; what it sent first still counts.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' && reply.length > 0 ? done({ reply, closed: true }) : fail(error),
    );
    socket.on('close', () => done({ reply, closed: true }));
  });
}

describe('the broker in use', () => {
  it('answers the 0-9-1 protocol header with a connection.start method frame', async () => {
    const frameComplete = (b: Buffer): boolean => b.length >= 7 && b.length >= 8 + b.readUInt32BE(3);
    const { reply } = await exchange(HEADER_0_9_1, frameComplete);

    expect(frameComplete(reply)).toBe(true);
    const size = reply.readUInt32BE(3);
    expect(reply[0]).toBe(1); // frame type: method
    expect(reply.readUInt16BE(1)).toBe(0); // channel 0
    expect(reply.readUInt16BE(7)).toBe(10); // class: connection
    expect(reply.readUInt16BE(9)).toBe(10); // method: start
    expect([reply[11], reply[12]]).toEqual([0, 9]); // version-major, version-minor
    expect(reply[7 + size]).toBe(FRAME_END);
    expect(reply.subarray(13, 7 + size).includes(Buffer.from('PLAIN'))).toBe(true);

    await expectNoLeakedHandles();
  });

  it('answers an unsupported protocol header with the one it speaks, then closes', async () => {
    const { reply, closed } = await exchange(HEADER_1_0, () => false);

    expect(closed).toBe(true);
    expect(reply).toEqual(HEADER_0_9_1);
    await expectNoLeakedHandles();
  });
});
