/**
 * `amqp-wire trace` on the real broker: the trace proxy between the broker and an amqp-wire
 * client, then a pika client, asserting the frame sequence each one produces (method names and
 * key arguments, not times); and malformed or oversized frames from either side, flagged and
 * still forwarded byte for byte.
 */
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { startTraceProxy, Tracer, type TraceEvent } from '../../src/tools/trace/index.js';
import type { TcpProxy } from '../../src/transport/proxy.js';
import { brokerUrl } from '../support/broker.js';
import { queueName } from '../support/names.js';
import { recordsOf, requirePika, runPika } from '../support/pika.js';
import { header, message, method } from '../unit/tools/trace-support.js';

const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
});

function brokerEndpoint(): { host: string; port: number } {
  const u = new URL(brokerUrl());
  return { host: u.hostname, port: Number(u.port || 5672) };
}

async function traceTo(upstream: { host: string; port: number }) {
  const events: TraceEvent[] = [];
  const lines: string[] = [];
  const tracer = new Tracer({ out: (l) => lines.push(l), sink: (e) => events.push(e) });
  const proxy = await startTraceProxy({ upstream, tracer });
  proxies.push(proxy);
  const u = new URL(brokerUrl());
  u.host = `127.0.0.1:${proxy.port}`;
  return { events, lines, tracer, proxy, url: u.toString() };
}

/** `dir chN class.method` of each method frame. */
const sequence = (events: readonly TraceEvent[]): string[] => events.filter((e) => e.kind === 'method').map((e) => `${e.dir} ch${e.channel} ${e.name}`);

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const HANDSHAKE = [
  'S->C ch0 connection.start', 'C->S ch0 connection.start-ok', 'S->C ch0 connection.tune', 'C->S ch0 connection.tune-ok',
  'C->S ch0 connection.open', 'S->C ch0 connection.open-ok', 'C->S ch1 channel.open', 'S->C ch1 channel.open-ok',
];

describe('trace proxy on the real broker', () => {
  it('shows an amqp-wire conversation: confirms linked to publishes, acks to deliveries', async () => {
    const t = await traceTo(brokerEndpoint());
    const conn = await connect(t.url, { name: 'trace.test' });
    const ch = await conn.channel();
    await ch.confirmSelect();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await Promise.all([ch.publishConfirmed('', queue, 'one'), ch.publishConfirmed('', queue, 'two', { headers: { traceparent: '00-ab-cd-01' } })]);
    let got = 0;
    await new Promise<void>((resolve) => {
      void ch.basicConsume(queue, (m) => {
        m.ack();
        if (++got === 2) resolve();
      });
    });
    await conn.close();
    await until(() => t.events.some((e) => e.kind === 'close'), 'the close');

    const seq = sequence(t.events);
    expect(seq.slice(0, 8)).toEqual(HANDSHAKE);
    // The broker may confirm both publishes with one multiple ack or with two: compare without them.
    expect(seq.slice(8).filter((l) => l !== 'S->C ch1 basic.ack')).toEqual([
      'C->S ch1 confirm.select', 'S->C ch1 confirm.select-ok', 'C->S ch1 queue.declare', 'S->C ch1 queue.declare-ok',
      'C->S ch1 basic.publish', 'C->S ch1 basic.publish', 'C->S ch1 basic.consume', 'S->C ch1 basic.consume-ok',
      'S->C ch1 basic.deliver', 'S->C ch1 basic.deliver', 'C->S ch1 basic.ack', 'C->S ch1 basic.ack',
      'C->S ch0 connection.close', 'S->C ch0 connection.close-ok',
    ]);
    // The broker may confirm both publishes with one multiple ack or two: either way both are linked.
    const acks = t.events.filter((e) => e.name === 'basic.ack' && e.dir === 'S->C');
    expect(acks.flatMap((e) => e.notes).join(' ')).toMatch(/publish #1.*#2|publish #1\b[\s\S]*publish #2/);
    const clientAcks = t.events.filter((e) => e.name === 'basic.ack' && e.dir === 'C->S');
    expect(clientAcks.flatMap((e) => e.notes).join(' ')).toMatch(/settles delivery #1[\s\S]*#2/);
    expect(seq.slice(-2)).toEqual(['C->S ch0 connection.close', 'S->C ch0 connection.close-ok']);
    expect(t.events.flatMap((e) => e.flags)).toEqual([]);
    expect(t.lines.find((l) => l.includes('content-header') && l.includes('traceparent'))).toMatch(/C->S ch1 content-header body=3 B traceparent=00-ab-cd-01/);
    expect(t.lines.find((l) => l.includes('S->C ch1 body'))).toMatch(/body 3 B in 1 frame: "one"/);
    const ch1 = t.tracer.counts()[0]!.channels.find((c) => c.channel === 1)!;
    expect(ch1).toMatchObject({ unconfirmed: 0, unacked: 0 });
    expect(ch1.confirmLatency).toHaveLength(2);
    expect(ch1.holdTime).toHaveLength(2);
  });

  it('shows a pika conversation: the seed producer with confirms', async () => {
    requirePika();
    const t = await traceTo(brokerEndpoint());
    const queue = queueName('trace-pika');
    const records = await runPika('produce.py', { queue, messages: [{ routingKey: queue, body: 'hello' }, { routingKey: queue, body: 'world' }] }, { url: t.url });
    expect(recordsOf(records, 'sent')).toHaveLength(2);
    await until(() => t.events.some((e) => e.kind === 'close'), 'the close');

    expect(t.events[1]).toMatchObject({ kind: 'protocol-header', dir: 'C->S' });
    const seq = sequence(t.events);
    expect(seq).toEqual([
      ...HANDSHAKE,
      'C->S ch1 confirm.select', 'S->C ch1 confirm.select-ok', 'C->S ch1 queue.declare', 'S->C ch1 queue.declare-ok',
      'C->S ch1 basic.publish', 'S->C ch1 basic.ack', 'C->S ch1 basic.publish', 'S->C ch1 basic.ack',
      'C->S ch1 channel.close', 'S->C ch1 channel.close-ok', 'C->S ch0 connection.close', 'S->C ch0 connection.close-ok',
    ]);
    const line = (name: string, nth = 0) => t.lines.filter((l) => l.includes(` ${name}`))[nth]!;
    expect(line('connection.start-ok')).toMatch(/product="?Pika Python Client Library"? .*mechanism=PLAIN response=<\d+ bytes hidden>/);
    expect(line('queue.declare ')).toContain(`q=${queue}`);
    expect(line('basic.publish')).toMatch(new RegExp(`x="" rk=${queue}  = publish #1$`));
    expect(line('basic.ack', 1)).toMatch(/dtag=2 {2}= confirms publish #2 after/);
    expect(t.lines.filter((l) => /C->S ch1 body 5 B in 1 frame/.test(l))).toHaveLength(2);
    const c = await connect(brokerUrl());
    await (await c.channel()).queueDelete(queue);
    await c.close();
  });
});

/** A raw TCP server standing in for the broker: records what it receives, sends what it is told. */
async function rawUpstream() {
  const received: Buffer[] = [];
  let peer: net.Socket | undefined;
  const server = net.createServer((s) => {
    peer = s;
    s.on('data', (d) => received.push(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    received: () => Buffer.concat(received),
    send: (b: Buffer) => peer!.write(b),
    ready: () => peer !== undefined,
    close: () => new Promise<void>((r) => {
      peer?.destroy();
      server.close(() => r());
    }),
  };
}

async function rawClient(port: number) {
  const received: Buffer[] = [];
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('data', (d) => received.push(d));
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, received: () => Buffer.concat(received) };
}

describe('trace proxy with malformed frames', () => {
  it('flags a malformed client frame and an oversized server frame, and forwards both untouched', async () => {
    const up = await rawUpstream();
    try {
      const t = await traceTo(up.endpoint);
      const client = await rawClient(t.proxy.port);
      await until(up.ready, 'the upstream connection');
      const badFrame = Buffer.from([1, 0, 1, 0, 0, 0, 4, 0, 50, 0, 10, 0x00]); // frame-end 0x00, not 0xce
      const fromClient = Buffer.concat([header(), method(0, 'connection.tune-ok', { channelMax: 0, frameMax: 4096, heartbeat: 0 }), badFrame, Buffer.from('more bytes')]);
      client.socket.write(fromClient);
      await until(() => up.received().length === fromClient.length, 'the client bytes upstream');
      const big = message(1, 'basic.deliver', { consumerTag: 'c', deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q' }, Buffer.alloc(5000, 1), {}, 5000);
      const fromServer = Buffer.concat([big, Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]), Buffer.from([9, 9, 9, 9, 9, 9, 9, 9, 9])]);
      up.send(fromServer);
      await until(() => client.received().length === fromServer.length, 'the server bytes at the client');

      expect(up.received().equals(fromClient)).toBe(true);
      expect(client.received().equals(fromServer)).toBe(true);
      const failures = t.events.filter((e) => e.kind === 'decode-error');
      expect(failures.map((e) => e.dir)).toEqual(['C->S', 'S->C']);
      expect(failures[0]!.error).toMatch(/frame.end|frame end/i);
      expect(t.events.find((e) => e.kind === 'body')!.flags).toEqual(['frame of 5008 B over frame_max 4096']);
      expect(t.lines.filter((l) => l.includes('DECODE FAILED'))).toHaveLength(2);
      client.socket.destroy();
    } finally {
      await up.close();
    }
  });

  it('forwards a malformed frame to the real broker and shows its answer', async () => {
    const t = await traceTo(brokerEndpoint());
    const client = await rawClient(t.proxy.port);
    client.socket.write(header());
    await until(() => t.events.some((e) => e.name === 'connection.start'), 'connection.start');
    client.socket.write(Buffer.from([1, 0, 0, 0, 0, 0, 4, 0, 10, 0, 11, 0x00]));
    await until(() => t.events.some((e) => e.kind === 'close'), 'the broker closing', 10_000);
    expect(t.events.filter((e) => e.kind === 'decode-error').map((e) => e.dir)).toEqual(['C->S']);
    // RabbitMQ answers a bad frame-end by closing the connection, after a connection.close 501 when it can.
    const close = t.events.find((e) => e.name === 'connection.close');
    if (close !== undefined) expect(close.args).toMatchObject({ replyCode: 501 });
    client.socket.destroy();
  });
});
