/**
 * basic.publish and basic.get through a real RabbitMQ: all 14 properties, a headers table with
 * every field type RabbitMQ knows, and bodies from 0 bytes to 10 MiB across frame boundaries come
 * back exactly as sent. Dead-lettering makes the broker decode and re-encode the headers itself,
 * which checks our encoding against RabbitMQ's reading of it, not just against our own decoder.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  typed, TypedField, type BasicProperties, type Channel, type FieldTable, type Message,
} from '../../src/index.js';
import { brokerUrl } from '../support/broker.js';
import { trackConnections } from '../support/connections.js';
import { countFrames, FrameType, type FrameCounts } from '../support/frame-count.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { queueName } from '../support/names.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

/** basic.get until a message arrives: dead-lettering reaches the target queue asynchronously. */
async function getEventually(ch: Channel, queue: string, timeoutMs = 5000): Promise<Message> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const msg = await ch.basicGet(queue, { noAck: true });
    if (msg !== null) return msg;
    if (Date.now() > deadline) throw new Error(`no message in ${queue} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const NOT_UTF8 = Buffer.from([0xc3, 0x28, 0xff, 0x00, 0x80, 0xfe]);
const WHEN = new Date(1_700_000_123_000);
const BIG = 2n ** 62n + 12345n;

/** One value of every field type RabbitMQ accepts, as sent. */
const SENT_HEADERS: FieldTable = {
  int8: -7, // b
  int8Max: 127,
  int16: -300, // s
  int32: 70_000, // I
  int32Min: -2_147_483_648,
  int64: 2 ** 40 + 3, // l
  int64Neg: -(2 ** 50),
  bigint: BIG, // l beyond 2^53
  bigintMin: -(2n ** 63n),
  float64: Math.PI, // d
  float64Neg: -0.125,
  float32: typed('f', 1.5),
  uint8: typed('B', 200),
  uint16: typed('u', 60_000),
  uint32: typed('i', 4_000_000_000),
  decimal: typed('D', { scale: 2, value: 12_345 }),
  timestamp: WHEN,
  nested: { inner: { deep: 'yes', n: 1 }, list: [1, 'two'] },
  array: [1, -300, 'str', true, null, 2.5, WHEN, Buffer.from([1, 2]), { k: 'v' }, ['nested']],
  emptyArray: [],
  bytes: Buffer.from([0, 1, 2, 254, 255]), // x
  bool: true,
  boolFalse: false,
  void: null, // V
  longString: `h\u00e9llo \u2713 \u{1d11e} ${'x'.repeat(1000)}`, // S, multi-byte UTF-8
  emptyString: '',
  notUtf8: typed('S', NOT_UTF8),
};

/** What our decoder hands back for SENT_HEADERS: typed numbers decode to plain numbers. */
const RECEIVED_HEADERS: FieldTable = {
  ...SENT_HEADERS,
  float32: 1.5,
  uint8: 200,
  uint16: 60_000,
  uint32: 4_000_000_000,
  decimal: new TypedField('D', { scale: 2, value: 12_345 }),
  notUtf8: NOT_UTF8,
};

const ALL_PROPERTIES: BasicProperties = {
  contentType: 'application/x-amqpwire-test',
  contentEncoding: 'identity',
  headers: SENT_HEADERS,
  deliveryMode: 2,
  priority: 7,
  correlationId: 'corr-\u00e9-1',
  replyTo: 'reply.queue',
  expiration: '600000',
  messageId: 'msg-1',
  timestamp: 1_700_000_123,
  type: 'test.type',
  userId: 'guest', // RabbitMQ checks it against the connection's user
  appId: 'amqp-wire-tests',
  clusterId: 'cluster-x',
};

describe('properties and headers', () => {
  it('all 14 properties and every header type survive publish + get unchanged', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    ch.basicPublish('', queue, 'props', ALL_PROPERTIES);
    const msg = await ch.basicGet(queue, { noAck: true });
    expect(msg).not.toBeNull();
    expect(msg!.text()).toBe('props');
    expect(msg!.properties).toEqual({ ...ALL_PROPERTIES, headers: RECEIVED_HEADERS });
    expect(typeof msg!.properties.headers!['bigint']).toBe('bigint');
    expect(msg!.properties.headers!['timestamp']).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(msg!.properties.headers!['notUtf8'])).toBe(true);
  });

  it('headers survive dead-lettering, where RabbitMQ decodes and re-encodes them and adds x-death', async () => {
    const { ch } = await open();
    const dead = (await ch.queueDeclare('', { exclusive: true })).queue;
    const source = queueName('dlx-source');
    await ch.queueDeclare(source, {
      exclusive: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead },
    });
    ch.basicPublish('', source, 'to be dead-lettered', ALL_PROPERTIES);
    const first = await ch.basicGet(source);
    first!.reject({ requeue: false });
    const msg = await getEventually(ch, dead);
    expect(msg?.text()).toBe('to be dead-lettered');
    const { 'x-death': death, ...rest } = msg!.properties.headers!;
    expect(rest).toEqual({
      ...RECEIVED_HEADERS,
      'x-first-death-exchange': '', 'x-first-death-queue': source, 'x-first-death-reason': 'rejected',
    });
    expect(death).toEqual([
      expect.objectContaining({
        count: 1, reason: 'rejected', queue: source, exchange: '', 'routing-keys': [source], 'original-expiration': '600000',
      }),
    ]);
    // RabbitMQ moves the per-message TTL into x-death when it dead-letters
    const { headers: _h, ...props } = msg!.properties;
    const { headers: _s, expiration: _e, ...sentProps } = ALL_PROPERTIES;
    expect(props).toEqual(sentProps);
  });

  it('properties set to 0 or the empty string stay present; unset ones stay absent', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const zeros: BasicProperties = { contentType: '', headers: {}, priority: 0, timestamp: 0, messageId: '' };
    ch.basicPublish('', queue, '', zeros);
    ch.basicPublish('', queue, 'none');
    const a = await ch.basicGet(queue, { noAck: true });
    const b = await ch.basicGet(queue, { noAck: true });
    expect(a!.properties).toEqual(zeros);
    expect(b!.properties).toEqual({});
  });
});

describe('bodies', () => {
  async function roundTrip(ch: Channel, queue: string, body: Buffer): Promise<Buffer> {
    ch.basicPublish('', queue, body);
    const msg = await ch.basicGet(queue, { noAck: true });
    expect(msg).not.toBeNull();
    return msg!.body;
  }

  it('sizes 0, 1, frameMax-8 (one full frame), frameMax-7 (two frames), 1 MiB and 10 MiB arrive byte-exact', async () => {
    const { conn, ch } = await open();
    const frameMax = conn.tuned.frameMax;
    expect(frameMax).toBe(131_072);
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    for (const size of [0, 1, frameMax - 8, frameMax - 7, 1024 * 1024, 10 * 1024 * 1024]) {
      const body = randomBytes(size);
      const got = await roundTrip(ch, queue, body);
      expect(got.length, `body of ${size} bytes`).toBe(size);
      expect(got.equals(body), `body of ${size} bytes`).toBe(true);
    }
  });

  it('with frame_max 8192 a 10 MiB body crosses 1282 body frames intact, on the consumer path too', async () => {
    // Counted on the wire both ways: a body frame carries at most frame_max - 8 bytes.
    const upstream = new URL(brokerUrl());
    const proxy = connections.track(await startFaultProxy({ host: upstream.hostname, port: Number(upstream.port || 5672) }));
    let c2s: FrameCounts | undefined;
    let s2c: FrameCounts | undefined;
    proxy.onConnection((c) => {
      c2s = countFrames(c.client, { protocolHeader: true });
      s2c = countFrames(c.upstream, { protocolHeader: false });
    });
    upstream.port = String(proxy.port);
    upstream.hostname = '127.0.0.1';
    const conn = await connections.open(upstream.href, { frameMax: 8192 });
    const ch = await conn.channel();
    expect(conn.tuned.frameMax).toBe(8192);
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const bodies = [randomBytes(10 * 1024 * 1024), randomBytes(8192 - 8), randomBytes(8192 - 7), Buffer.alloc(0)];
    const bodyFrames = [1282, 1, 2, 0]; // ceil(size / 8184)
    const received: Buffer[] = [];
    const all = new Promise<void>((resolve) => {
      void ch.basicConsume(queue, (msg) => {
        received.push(msg.body);
        msg.ack();
        if (received.length === bodies.length) resolve();
      });
    });
    for (const body of bodies) ch.basicPublish('', queue, body, { messageId: String(body.length) });
    await all;
    expect(received.map((b) => b.length)).toEqual(bodies.map((b) => b.length));
    for (let i = 0; i < bodies.length; i++) expect(received[i]!.equals(bodies[i]!), `body ${i}`).toBe(true);
    const total = bodyFrames.reduce((a, b) => a + b, 0);
    for (const [direction, counts] of [['published', c2s], ['delivered', s2c]] as const) {
      expect(counts?.error, direction).toBeUndefined();
      expect(counts?.count(FrameType.body), `${direction} body frames`).toBe(total);
      expect(counts?.maxPayload.get(FrameType.body), `${direction} largest body frame`).toBe(8192 - 8);
    }
  });

  it('a string body goes as UTF-8', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    ch.basicPublish('', queue, 'gr\u00fc\u00df \u{1f600}');
    const msg = await ch.basicGet(queue, { noAck: true });
    expect(msg!.body.equals(Buffer.from('gr\u00fc\u00df \u{1f600}', 'utf8'))).toBe(true);
    expect(msg!.text()).toBe('gr\u00fc\u00df \u{1f600}');
  });

  it('a Uint16Array body arrives with all of its bytes, an ArrayBuffer and a DataView slice too', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const u16 = new Uint16Array([0x0102, 0x0304, 0xa0b0, 0xfffe]);
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    ch.basicPublish('', queue, u16);
    ch.basicPublish('', queue, new Uint8Array([7, 8]).buffer);
    ch.basicPublish('', queue, new DataView(backing.buffer, 1, 3));
    const got: Buffer[] = [];
    for (let i = 0; i < 3; i++) got.push((await getEventually(ch, queue)).body);
    expect(got[0]!.length).toBe(8);
    expect(got[0]!.equals(Buffer.from(u16.buffer))).toBe(true);
    expect([...got[1]!]).toEqual([7, 8]);
    expect([...got[2]!]).toEqual([1, 2, 3]);
  });
});

describe('basic.get', () => {
  it('resolves null on an empty queue and carries delivery fields otherwise', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    expect(await ch.basicGet(queue)).toBeNull();
    await ch.confirmSelect();
    for (const body of ['a', 'b', 'c']) void ch.publishConfirmed('', queue, body);
    await ch.waitForConfirms();

    const a = await ch.basicGet(queue);
    expect(a!.fields).toEqual({ deliveryTag: 1, redelivered: false, exchange: '', routingKey: queue, messageCount: 2 });
    const b = await ch.basicGet(queue);
    expect(b!.fields).toMatchObject({ deliveryTag: 2, messageCount: 1 });
    const c = await ch.basicGet(queue, { noAck: true });
    expect(c!.fields).toMatchObject({ deliveryTag: 3, messageCount: 0 });
    expect(await ch.basicGet(queue)).toBeNull();
    a!.ack();
    b!.nack({ requeue: true });
    const again = await ch.basicGet(queue, { noAck: true });
    expect(again!.text()).toBe('b');
    expect(again!.fields.redelivered).toBe(true);
  });

  it('a get from a missing queue is a 404 naming basic.get', async () => {
    const { ch } = await open();
    const q = queueName('missing');
    await expect(ch.basicGet(q)).rejects.toMatchObject({
      name: 'ChannelClosedError', replyCode: 404, methodName: 'basic.get',
      message: `basic.get: 404 NOT_FOUND - no queue '${q}' in vhost '/'`,
    });
  });
});

describe('basic.publish', () => {
  it('returns true while the output buffer is small', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    expect(ch.basicPublish('', queue, 'x')).toBe(true);
  });

  it('a mandatory publish nobody can route comes back as a return event', async () => {
    const { ch } = await open();
    const returned = new Promise<unknown>((resolve) => ch.once('return', resolve));
    ch.basicPublish('amq.direct', 'no-such-binding', 'bounce', { messageId: 'r1', headers: { n: 1 } }, { mandatory: true });
    const r = (await returned) as { body: Buffer; properties: BasicProperties; fields: unknown };
    expect(r.fields).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: 'no-such-binding' });
    expect(r.body.toString()).toBe('bounce');
    expect(r.properties).toEqual({ messageId: 'r1', headers: { n: 1 } });
    // the channel stays usable
    await expect(ch.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ messageCount: 0 });
  });

  it('an unroutable publish without mandatory is dropped silently', async () => {
    const { ch } = await open();
    let returns = 0;
    ch.on('return', () => returns++);
    await ch.confirmSelect();
    await ch.publishConfirmed('amq.direct', 'no-such-binding', 'dropped');
    expect(returns).toBe(0);
  });

  it('publishing to a missing exchange closes the channel with 404 naming basic.publish', async () => {
    const { conn, ch } = await open();
    ch.on('error', () => undefined);
    const closed = new Promise<unknown>((resolve) => ch.once('close', resolve));
    ch.basicPublish(queueName('no-such-exchange'), 'k', 'lost');
    await expect(closed).resolves.toMatchObject({ name: 'ChannelClosedError', replyCode: 404, methodName: 'basic.publish' });
    expect(() => ch.basicPublish('', 'k', 'again')).toThrow(/basic\.publish: 404 NOT_FOUND/);
    await expect(conn.channel()).resolves.toBeDefined();
  });

  it('refuses headers too large for one frame locally, without sending anything', async () => {
    const { conn, ch } = await open({ frameMax: 8192 });
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    expect(() => ch.basicPublish('', queue, 'x', { headers: { big: 'y'.repeat(9000) } })).toThrow();
    expect(ch.isOpen).toBe(true);
    expect(conn.tuned.frameMax).toBe(8192);
    ch.basicPublish('', queue, 'after');
    expect((await ch.basicGet(queue, { noAck: true }))?.text()).toBe('after');
  });
});
