/**
 * R4: malformed input from the broker. Each fault must make the client send connection.close with
 * the reply code the fault deserves, reject every pending operation within 100 ms, emit `close`
 * and get rid of the socket.
 *
 * Codes: 501 FRAME_ERROR for frames that cannot be framed (bad frame-end, oversize, unknown type,
 * heartbeat off channel 0, spec 4.2.3/4.2.7); 502 SYNTAX_ERROR for fields that do not decode; 503
 * COMMAND_INVALID for an unknown class/method; 504 CHANNEL_ERROR for a channel that is not open;
 * 505 UNEXPECTED_FRAME for frames out of the method -> header -> body order (what RabbitMQ's own
 * command assembler answers).
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/index.js';
import { ConnectionClosedError } from '../../src/client/errors.js';
import { FakeBroker, type FakePeer } from '../support/fake-broker.js';
import { lateOrResolved, leavePending, type PendingOps } from '../support/fake-broker-pending.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { hex } from '../support/hex.js';

const FRAME_MAX = 8192;

let fb: FakeBroker | undefined;
afterEach(async () => {
  await fb?.close();
  fb = undefined;
});

interface Setup { conn: Connection; peer: FakePeer; ops: PendingOps; closeEvents: unknown[] }

async function setup(): Promise<Setup> {
  fb = await FakeBroker.start(async (peer) => {
    await peer.handshake({ tune: { frameMax: FRAME_MAX }, answerClose: false });
  });
  const conn = await fb.connect();
  const closeEvents: unknown[] = [];
  conn.on('close', (e) => closeEvents.push(e));
  conn.on('error', () => undefined);
  const peer = await fb.peer();
  await fb.finished();
  const ops = await leavePending(conn, peer);
  return { conn, peer, ops, closeEvents };
}

/** A frame from parts, with a chosen frame-end octet. */
function frame(type: number, channel: number, payload: Uint8Array, end = 0xce): Buffer {
  const head = Buffer.alloc(7);
  head[0] = type;
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.of(end)]);
}

/** basic.deliver for the pending consumer, method frame only. */
function deliverMethod(peer: FakePeer, channel: number, deliveryTag = 1): void {
  peer.send(channel, 'basic.deliver', { consumerTag: 'amq.ctag-1', deliveryTag, redelivered: false, exchange: '', routingKey: 'q' });
}

type Fault = (peer: FakePeer, ops: PendingOps) => void;

const cases: Array<[string, number, Fault]> = [
  ['bad frame-end octet', 501, (p) => p.sendRaw(frame(1, 1, hex`003c 0050 0000000000000001 00  # basic.ack 1`, 0x00))],
  ['frame header announcing frame_max + 1 bytes (no payload needed to refuse it)', 501, (p) => p.sendRaw(hex`03 0001 00001ff9  # body frame, 8185 + 8 = 8193 bytes`)],
  ['frame of frame_max + 1 bytes, payload and all', 501, (p, o) => {
    deliverMethod(p, o.channel.id);
    p.sendHeader(o.channel.id, FRAME_MAX - 7);
    p.sendRaw(frame(3, o.channel.id, Buffer.alloc(FRAME_MAX - 7)));
  }],
  ['unknown frame type 4', 501, (p) => p.sendRaw(hex`04 0000 00000000 ce`)],
  ['unknown frame type 0x41 after the handshake', 501, (p) => p.sendRaw(hex`41 0000 00000000 ce`)],
  ['unknown method (queue.255)', 503, (p, o) => p.sendRaw(frame(1, o.channel.id, hex`0032 00ff`))],
  ['unknown class 200', 503, (p, o) => p.sendRaw(frame(1, o.channel.id, hex`00c8 000a`))],
  ['heartbeat on channel 1', 501, (p) => p.sendRaw(hex`08 0001 00000000 ce`)],
  ['body frame with no header before it', 505, (p, o) => p.sendBody(o.channel.id, 'stray')],
  ['header frame with no content method before it', 505, (p, o) => p.sendHeader(o.channel.id, 5)],
  ['content header of class 50 after basic.deliver (class 60)', 505, (p, o) => {
    deliverMethod(p, o.channel.id);
    p.sendHeader(o.channel.id, 5, undefined, 50);
  }],
  ['body frames carrying more than the header announced', 501, (p, o) => {
    deliverMethod(p, o.channel.id);
    p.sendHeader(o.channel.id, 5);
    p.sendBody(o.channel.id, 'ten bytes!');
  }],
  ['method frame for channel 9, never opened', 504, (p) => p.send(9, 'basic.ack', { deliveryTag: 1, multiple: false })],
  ['content header on channel 0', 505, (p) => p.sendHeader(0, 5)],
  ['basic.ack between a delivery\'s header and its last body frame', 505, (p, o) => {
    deliverMethod(p, o.channel.id);
    p.sendHeader(o.channel.id, 10);
    p.sendBody(o.channel.id, 'half');
    p.send(o.channel.id, 'basic.ack', { deliveryTag: 1, multiple: false });
  }],
  ['a second basic.deliver before the first one\'s header', 505, (p, o) => {
    deliverMethod(p, o.channel.id, 1);
    deliverMethod(p, o.channel.id, 2);
  }],
  ['short string whose length runs past the frame (queue.declare-ok)', 502, (p, o) => p.sendRaw(frame(1, o.channel.id, hex`
    0032 000b          # queue.declare-ok
    c8 6162            # queue: length 200, only "ab" follows
  `))],
];

describe('each fault closes the connection with its code and settles everything', () => {
  it.each(cases)('%s -> connection.close %i', async (_label, code, fault) => {
    const { peer, ops, closeEvents } = await setup();
    const t0 = performance.now();
    peer.batch(() => fault(peer, ops));
    const close = await peer.waitFor('connection.close', { channel: 0, timeout: 2000 });
    expect(close.args.replyCode).toBe(code);
    expect(close.at - t0).toBeLessThan(500); // at once, not after a timer
    expect(await lateOrResolved(ops.all, t0, 500)).toEqual([]);
    for (const op of ops.all) {
      expect(op.error).toBeInstanceOf(ConnectionClosedError);
      expect(op.error).toMatchObject({ replyCode: code, by: 'client' });
    }
    expect(closeEvents).toHaveLength(1);
    expect(closeEvents[0]).toMatchObject({ replyCode: code });
    // No close-ok is coming from a peer that breaks framing: the socket goes anyway.
    const closed = await peer.closed;
    expect(closed.at - t0).toBeLessThan(1000); // without waiting the 5 s closeTimeout for close-ok
    await fb!.close();
    await expectNoLeakedHandles();
  });
});

describe('limits that must pass', () => {
  it('a body frame of exactly frame_max bytes is accepted and delivered', async () => {
    const { conn, peer, ops } = await setup();
    const body = Buffer.alloc(FRAME_MAX - 8, 0x61);
    peer.deliver(ops.channel.id, { consumerTag: 'amq.ctag-1', deliveryTag: 1 }, body);
    await ops.iterate.settled;
    expect(ops.iterate.status).toBe('fulfilled');
    expect((ops.iterate.value as IteratorResult<{ body: Buffer }>).value?.body).toEqual(body);
    await peer.expectNothing(50);
    expect(peer.methods.map((m) => m.name)).not.toContain('connection.close');
    const unrelated = ops.all.filter((o) => o !== ops.iterate);
    for (const o of unrelated) expect(o.status).toBe('pending');
    peer.autoReply(['connection.close']);
    await conn.close();
  });
});

describe('socket loss', () => {
  it('EOF in the middle of a frame: every pending operation rejects at once, close says so', async () => {
    const { peer, ops, closeEvents } = await setup();
    const t0 = performance.now();
    peer.sendRaw(hex`01 0001 00000020 003c  # method frame announcing 32 bytes, 2 sent`);
    peer.end();
    expect(await lateOrResolved(ops.all, t0, 500)).toEqual([]);
    for (const op of ops.all) expect(op.error).toMatchObject({ by: 'socket', replyCode: 0 });
    expect((ops.declare.error as Error).message).toMatch(/middle of a frame/);
    expect(closeEvents).toHaveLength(1);
    await peer.closed;
    await fb!.close();
    await expectNoLeakedHandles();
  });
});
