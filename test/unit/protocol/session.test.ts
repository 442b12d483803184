/**
 * The sans-IO session in both roles: the same events however the byte stream is cut, channels
 * interleaved, content over several body frames, and each protocol fault as a FrameError with the
 * reply code a connection.close for it carries.
 */
import { describe, expect, it } from 'vitest';
import { FrameType, PROTOCOL_HEADER } from '../../../src/frames/constants.js';
import { FrameError, ProtocolVersionError } from '../../../src/frames/errors.js';
import type { BasicProperties } from '../../../src/frames/properties.js';
import { writeContentHeader } from '../../../src/frames/properties.js';
import { writeContent } from '../../../src/frames/content.js';
import { Writer } from '../../../src/frames/writer.js';
import { encodeMethod } from '../../../src/methods/codec.js';
import type { MethodArgs, MethodName } from '../../../src/methods/types.js';
import type { Content, SessionHandler } from '../../../src/protocol/events.js';
import { Session, type SessionRole } from '../../../src/protocol/session.js';
import { hex } from '../../support/hex.js';

/** Builds a byte stream frame by frame. */
class Stream {
  readonly w = new Writer(256, 0);
  method<N extends MethodName>(channel: number, name: N, args: MethodArgs<N>): this {
    encodeMethod(this.w, channel, name, args);
    return this;
  }
  /** Header and body frames (writeContent); `piece` > 0 cuts the body into frames of that many bytes. */
  content(channel: number, body: string, properties?: BasicProperties, piece = 0): this {
    if (piece === 0) {
      writeContent(this.w, channel, 60, Buffer.from(body), properties);
      return this;
    }
    this.header(channel, body.length, 60, properties);
    for (let at = 0; at < body.length; at += piece) this.body(channel, body.slice(at, at + piece));
    return this;
  }
  header(channel: number, bodySize: number, classId = 60, properties?: BasicProperties): this {
    writeContentHeader(this.w, channel, classId, bodySize, properties);
    return this;
  }
  body(channel: number, bytes: string): this {
    const start = this.w.startFrame(FrameType.BODY, channel);
    this.w.bytes(Buffer.from(bytes));
    this.w.endFrame(start);
    return this;
  }
  heartbeat(): this {
    this.w.heartbeat();
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.w.bytes(bytes);
    return this;
  }
  bytes(): Buffer {
    return Buffer.from(this.w.buf.subarray(0, this.w.pos));
  }
}

type Event =
  | { kind: 'method'; channel: number; name: string; key: number; args: unknown }
  | { kind: 'content'; channel: number; name: string; args: unknown; properties: BasicProperties; body: string }
  | { kind: 'heartbeat' };

/** A handler that records every event as plain data (bodies copied: views die with their chunk). */
function recorder(): SessionHandler & { events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    onMethod(channel, m, key) {
      events.push({ kind: 'method', channel, name: m.name, key, args: m.args });
    },
    onContent(channel, c: Content) {
      events.push({ kind: 'content', channel, name: c.method.name, args: { ...c.method.args }, properties: c.properties, body: c.body.toString('latin1') });
    },
    onHeartbeat() {
      events.push({ kind: 'heartbeat' });
    },
  };
}

function session(role: SessionRole, maxBodySize = 1 << 20): { s: Session; events: Event[] } {
  const h = recorder();
  return { s: new Session(h, { role, maxBodySize }), events: h.events };
}

/** Events of `bytes` fed in the given pieces. */
function run(role: SessionRole, pieces: readonly Buffer[]): Event[] {
  const { s, events } = session(role);
  for (const p of pieces) s.push(p);
  expect(s.midFrame).toBe(false);
  return events;
}

/** Every split of `bytes` into two chunks, and into one-byte chunks, gives the same events as one chunk. */
function expectChunkingInvariant(role: SessionRole, bytes: Buffer): Event[] {
  const whole = run(role, [bytes]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    expect(run(role, [bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`).toEqual(whole);
  }
  const ones = [];
  for (let i = 0; i < bytes.length; i++) ones.push(bytes.subarray(i, i + 1));
  expect(run(role, ones)).toEqual(whole);
  return whole;
}

const deliver = (consumerTag: string, deliveryTag: number): MethodArgs<'basic.deliver'> => ({
  consumerTag, deliveryTag, redelivered: false, exchange: 'ex', routingKey: 'rk',
});

/** A client-role stream: two channels interleaved, bodies over several frames, channel 0 traffic. */
function clientStream(): Buffer {
  return new Stream()
    .method(0, 'connection.blocked', { reason: 'low memory' })
    .method(1, 'basic.deliver', deliver('c1', 1))
    .header(1, 12)
    .method(2, 'basic.get-ok', { deliveryTag: 7, redelivered: true, exchange: '', routingKey: 'q', messageCount: 3 })
    .body(1, 'hello ')
    .content(2, 'get body', { contentType: 'text/plain' })
    .heartbeat()
    .body(1, 'world!')
    .method(1, 'basic.deliver', deliver('c1', 2))
    .content(1, 'abcdefghijklmnopqrstuvwxyz', { priority: 3 }, 8)
    .method(2, 'basic.return', { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'x', routingKey: 'nowhere' })
    .content(2, '')
    .method(1, 'basic.ack', { deliveryTag: 5, multiple: true })
    .bytes();
}

describe('Session, client role', () => {
  it('gives the same events however the stream is cut, at every byte boundary', () => {
    const events = expectChunkingInvariant('client', clientStream());
    expect(events).toEqual([
      { kind: 'method', channel: 0, name: 'connection.blocked', key: (10 << 16) | 60, args: { reason: 'low memory' } },
      { kind: 'content', channel: 2, name: 'basic.get-ok', args: { deliveryTag: 7, redelivered: true, exchange: '', routingKey: 'q', messageCount: 3 }, properties: { contentType: 'text/plain' }, body: 'get body' },
      { kind: 'heartbeat' },
      { kind: 'content', channel: 1, name: 'basic.deliver', args: deliver('c1', 1), properties: {}, body: 'hello world!' },
      { kind: 'content', channel: 1, name: 'basic.deliver', args: deliver('c1', 2), properties: { priority: 3 }, body: 'abcdefghijklmnopqrstuvwxyz' },
      { kind: 'content', channel: 2, name: 'basic.return', args: { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'x', routingKey: 'nowhere' }, properties: {}, body: '' },
      { kind: 'method', channel: 1, name: 'basic.ack', key: (60 << 16) | 80, args: { deliveryTag: 5, multiple: true } },
    ]);
  });

  it('hands a body that came in one frame on as a view of the chunk, not a copy', () => {
    const bodies: Buffer[] = [];
    const s = new Session({ onMethod() {}, onHeartbeat() {}, onContent: (_ch, c) => bodies.push(c.body) }, { role: 'client', maxBodySize: 100 });
    const chunk = new Stream().method(1, 'basic.deliver', deliver('c', 1)).content(1, 'view').bytes();
    s.push(chunk);
    expect(bodies[0]!.buffer).toBe(chunk.buffer);
  });

  it('shows every frame to the observer, raw, before handling it', () => {
    const seen: Array<[number, number, string]> = [];
    const s = new Session(recorder(), {
      role: 'client', maxBodySize: 100,
      observer: { onFrame: (type, channel, buf, start, end) => seen.push([type, channel, buf.toString('hex', start, end)]) },
    });
    s.push(new Stream().heartbeat().method(1, 'basic.deliver', deliver('c', 1)).content(1, 'x').bytes());
    expect(seen.map(([t, c]) => [t, c])).toEqual([[8, 0], [1, 1], [2, 1], [3, 1]]);
    expect(seen[3]![2]).toBe('78');
  });

  it('forget(channel) drops a half-assembled message: the reused id starts clean', () => {
    const { s, events } = session('client');
    s.push(new Stream().method(3, 'basic.deliver', deliver('old', 1)).header(3, 10).body(3, 'half').bytes());
    s.forget(3);
    s.push(new Stream().method(3, 'channel.open-ok', {}).method(3, 'basic.deliver', deliver('new', 1)).content(3, 'fresh').bytes());
    expect(events.map((e) => e.kind === 'content' ? e.body : e.kind === 'method' ? e.name : e.kind)).toEqual(['channel.open-ok', 'fresh']);
  });

  it('discard(channel): after our channel.close only close and close-ok count, content and strays dropped unparsed', () => {
    const { s, events } = session('client');
    s.push(new Stream().method(4, 'basic.deliver', deliver('c', 1)).header(4, 10).body(4, 'half').bytes());
    s.discard(4);
    s.push(new Stream()
      .body(4, 'rest!!')
      .body(4, 'a stray body with no header before it')
      .method(4, 'basic.deliver', deliver('c', 2)).content(4, 'late')
      .method(4, 'queue.declare-ok', { queue: 'q', messageCount: 0, consumerCount: 0 })
      .method(5, 'basic.ack', { deliveryTag: 1, multiple: false })
      .method(4, 'channel.close', { replyCode: 406, replyText: 'PRECONDITION_FAILED', classId: 60, methodId: 80 })
      .method(4, 'channel.close-ok', {})
      .bytes());
    expect(events.map((e) => (e.kind === 'method' ? `${e.channel}:${e.name}` : e.kind))).toEqual([
      '5:basic.ack', '4:channel.close', '4:channel.close-ok',
    ]);
    s.forget(4);
    s.push(new Stream().method(4, 'basic.deliver', deliver('c', 1)).content(4, 'fresh').bytes());
    expect(events.at(-1)).toMatchObject({ kind: 'content', channel: 4, body: 'fresh' });
  });

  it('maxFrameSize is settable; 0 (no limit) keeps the inbound cap', () => {
    const { s } = session('client');
    s.maxFrameSize = 8192;
    expect(s.maxFrameSize).toBe(8192);
    s.maxFrameSize = 0;
    expect(s.maxFrameSize).toBe(64 * 1024 * 1024);
    s.maxFrameSize = 16;
    expect(() => s.push(new Stream().method(1, 'basic.deliver', deliver('c', 1)).bytes())).toThrow(/exceeds frame_max 16/);
  });
});

describe('Session, server role', () => {
  it('takes the protocol header first, then assembles basic.publish, at every byte boundary', () => {
    const bytes = Buffer.concat([
      Buffer.from(PROTOCOL_HEADER),
      new Stream()
        .method(0, 'connection.start-ok', { clientProperties: {}, mechanism: 'PLAIN', response: '\0u\0p', locale: 'en_US' })
        .method(1, 'basic.publish', { exchange: '', routingKey: 'q', mandatory: true })
        .content(1, 'published body over frames', { deliveryMode: 2 }, 5)
        .method(2, 'basic.publish', { exchange: 'amq.topic', routingKey: 'a.b', mandatory: false })
        .content(2, '')
        .heartbeat()
        .method(1, 'basic.ack', { deliveryTag: 1, multiple: false })
        .bytes(),
    ]);
    const events = expectChunkingInvariant('server', bytes);
    expect(events.map((e) => (e.kind === 'content' ? [e.channel, e.name, e.body, e.args] : e.kind === 'method' ? [e.channel, e.name] : [e.kind]))).toEqual([
      [0, 'connection.start-ok'],
      [1, 'basic.publish', 'published body over frames', { ticket: 0, exchange: '', routingKey: 'q', mandatory: true, immediate: false }],
      [2, 'basic.publish', '', { ticket: 0, exchange: 'amq.topic', routingKey: 'a.b', mandatory: false, immediate: false }],
      ['heartbeat'],
      [1, 'basic.ack'],
    ]);
  });

  it('hands the protocol header to onProtocolHeader once it is whole', () => {
    const headers: string[] = [];
    const s = new Session(recorder(), { role: 'server', maxBodySize: 10, onProtocolHeader: (h) => headers.push(h.toString('hex')) });
    s.push(Buffer.from(PROTOCOL_HEADER).subarray(0, 3));
    expect(headers).toEqual([]);
    expect(s.midFrame).toBe(true);
    s.push(Buffer.from(PROTOCOL_HEADER).subarray(3));
    expect(headers).toEqual(['414d515000000901']);
    expect(s.midFrame).toBe(false);
  });

  it('a client asking for another protocol version is a ProtocolVersionError naming it', () => {
    const { s } = session('server');
    const err = (() => { try { s.push(hex`414d5150 01 01 00 0a  # AMQP 1-1-0-10`); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(ProtocolVersionError);
    expect((err as Error).message).toBe('protocol version mismatch: client asked for AMQP 1-1-0-10, server speaks 0-9-1');
    expect(() => s.push(Buffer.alloc(1))).toThrow(err as Error);
  });
});

/** The error `bytes` raise in a session of `role`, with the events before it. */
function fault(role: SessionRole, bytes: Buffer, maxBodySize = 1024): { err: unknown; events: Event[] } {
  const { s, events } = session(role, maxBodySize);
  if (role === 'server') s.push(Buffer.from(PROTOCOL_HEADER));
  try {
    s.push(bytes);
  } catch (e) {
    // Once failed, the session stays failed.
    expect(() => s.push(Buffer.alloc(0))).toThrow(e as Error);
    return { err: e, events };
  }
  return { err: null, events };
}

describe('Session faults', () => {
  const d = (): Stream => new Stream().method(1, 'basic.deliver', deliver('c', 1));
  const cases: Array<[string, SessionRole, () => Buffer, number, RegExp?]> = [
    ['content header on channel 0', 'client', () => new Stream().header(0, 5).bytes(), 505, /content frame \(type 2\) on channel 0/],
    ['body frame on channel 0', 'server', () => new Stream().body(0, 'x').bytes(), 505, /content frame \(type 3\) on channel 0/],
    ['body frame with no header before it', 'client', () => new Stream().body(1, 'stray').bytes(), 505, /body frame without a preceding content header/],
    ['header with no content method before it', 'client', () => new Stream().header(1, 5).bytes(), 505, /content header frame without a preceding content method/],
    ['header of class 50 after basic.deliver', 'client', () => d().header(1, 5, 50).bytes(), 505, /class 50 follows a method of class 60/],
    ['a second basic.deliver before the first one\'s header', 'client', () => d().method(1, 'basic.deliver', deliver('c', 2)).bytes(), 505],
    ['basic.ack between header and last body frame', 'client', () => d().header(1, 10).body(1, 'half').method(1, 'basic.ack', { deliveryTag: 1, multiple: false }).bytes(), 505, /basic.ack arrived while message content was still expected/],
    ['body frames carrying more than announced', 'client', () => d().header(1, 5).body(1, 'ten bytes!').bytes(), 501, /carry 10 bytes, header announced 5/],
    ['a body over maxBodySize', 'client', () => d().header(1, 2048).bytes(), 501, /exceeds the limit of 1024 bytes/],
    ['basic.publish sent by a server', 'client', () => new Stream().method(1, 'basic.publish', { exchange: '', routingKey: 'q', mandatory: false }).bytes(), 505, /only a client sends it/],
    ['basic.deliver sent by a client', 'server', () => d().bytes(), 505, /only a server sends it/],
    ['basic.get-ok sent by a client', 'server', () => new Stream().method(1, 'basic.get-ok', { deliveryTag: 1, redelivered: false, exchange: '', routingKey: '', messageCount: 0 }).bytes(), 505],
    ['heartbeat on channel 1', 'client', () => new Stream().raw(hex`08 0001 00000000 ce  # heartbeat, channel 1`).bytes(), 501],
    ['unknown method', 'client', () => new Stream().raw(hex`01 0001 00000004 0032 00ff ce  # queue.255`).bytes(), 503],
    ['bad frame-end', 'server', () => new Stream().raw(hex`08 0000 00000000 00  # heartbeat ending in 00`).bytes(), 501],
  ];

  it.each(cases)('%s (%s role) -> %i', (_label, role, bytes, code, message) => {
    const { err } = fault(role, bytes());
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).replyCode).toBe(code);
    if (message) expect((err as Error).message).toMatch(message);
  });

  it('a fault split over chunks is found at the same point', () => {
    const bytes = d().header(1, 5).body(1, 'ten bytes!').bytes();
    for (let cut = 1; cut < bytes.length; cut++) {
      const { s } = session('client');
      s.push(bytes.subarray(0, cut));
      expect(() => s.push(bytes.subarray(cut))).toThrow(/header announced 5/);
    }
  });

  it('a handler that throws fails the session with its error', () => {
    const boom = new FrameError(504, 'channel 1 is not open');
    const s = new Session({ onMethod() { throw boom; }, onContent() {}, onHeartbeat() {} }, { role: 'client', maxBodySize: 10 });
    expect(() => s.push(new Stream().method(1, 'basic.ack', { deliveryTag: 1, multiple: false }).bytes())).toThrow(boom);
    expect(() => s.push(new Stream().heartbeat().bytes())).toThrow(boom);
  });
});
