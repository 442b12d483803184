/**
 * The trace printer on recorded byte streams: the line of each frame, filters, JSON, annotated
 * hex; and the recording format read back by replay.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RecordKind, RecordingFormatError, RecordingWriter, Tracer, readRecording, replayRecording,
} from '../../../src/tools/trace/index.js';
import { handshake, header, heartbeat, message, method, traced } from './trace-support.js';

/** A line without its time and delta columns. */
const strip = (line: string): string => line.replace(/^\d\d:\d\d:\d\d\.\d{3} +\+[\d.]+m?s /, '');

function conversation(t: ReturnType<typeof traced>): void {
  handshake(t);
  t.at(1).c2s(method(1, 'channel.open', {}));
  t.at(2).s2c(method(1, 'channel.open-ok', {}));
  t.c2s(method(1, 'queue.bind', { queue: 'q1', exchange: 'logs', routingKey: 'kern.*', nowait: false, arguments: {} }));
  t.s2c(method(1, 'queue.bind-ok', {}));
  t.at(3).c2s(message(1, 'basic.publish', { exchange: 'logs', routingKey: 'kern.info', mandatory: true }, Buffer.from('hello'), {
    contentType: 'text/plain', deliveryMode: 2, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', n: 1 },
  }));
  t.s2c(heartbeat());
  t.s2c(message(1, 'basic.deliver', { consumerTag: 'ctag-1', deliveryTag: 1, redelivered: true, exchange: 'logs', routingKey: 'kern.info' }, Buffer.from([0, 1, 2, 0xff])));
  t.c2s(method(1, 'basic.ack', { deliveryTag: 1, multiple: false }));
}

describe('trace printer', () => {
  it('prints one line per frame with key arguments, properties, body preview, notes and flags', () => {
    const t = traced();
    conversation(t);
    t.close();
    expect(t.lines.map(strip)).toEqual([
      '#1 C->S ch0 connection opened: test',
      '#1 C->S ch0 protocol header AMQP 0-9-1',
      '#1 S->C ch0 connection.start version=0-9 product=RabbitMQ mechanisms="PLAIN"',
      '#1 C->S ch0 connection.start-ok product=test mechanism=PLAIN response=<12 bytes hidden>  = reply to connection.start: round trip 0.00ms'
        .replace('0.00ms', '0.00 ms'),
      '#1 S->C ch0 connection.tune channel_max=2047 frame_max=131072 heartbeat=60',
      '#1 C->S ch0 connection.tune-ok channel_max=2047 frame_max=131072 heartbeat=60  = reply to connection.tune: round trip 0.00 ms'
        + '  = tune: channel_max server 2047 / client 2047: server offer kept; frame_max server 131072 / client 131072: server offer kept; '
        + 'heartbeat server 60 / client 60: server offer kept',
      '#1 C->S ch0 connection.open vhost=/',
      '#1 S->C ch0 connection.open-ok  = reply to connection.open: round trip 0.00 ms',
      '#1 C->S ch1 channel.open',
      '#1 S->C ch1 channel.open-ok  = reply to channel.open: round trip 1.00 ms',
      '#1 C->S ch1 queue.bind q=q1 x=logs bk=kern.*',
      '#1 S->C ch1 queue.bind-ok  = reply to queue.bind: round trip 0.00 ms',
      '#1 C->S ch1 basic.publish x=logs rk=kern.info mandatory',
      '#1 C->S ch1 content-header body=5 B traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 content_type=text/plain '
        + 'headers={n: 1} delivery_mode=2',
      '#1 C->S ch1 body 5 B in 1 frame: "hello"',
      '#1 S->C ch0 heartbeat',
      '#1 S->C ch1 basic.deliver ctag=ctag-1 dtag=1 redelivered x=logs rk=kern.info',
      '#1 S->C ch1 content-header body=4 B',
      '#1 S->C ch1 body 4 B in 1 frame: 0x000102ff',
      '#1 C->S ch1 basic.ack dtag=1  = settles delivery #1 held 0.00 ms',
      '#1 S->C ch0 connection closed',
    ]);
    expect(t.lines[0]).toMatch(/^22:13:20\.000 +\+0\.00ms #1/);
    expect(t.lines[9]).toMatch(/^22:13:20\.002 +\+1\.00ms #1/);
  });

  it('filters lines by method glob, channel and heartbeats, and still links every frame', () => {
    const t = traced({ method: 'basic.*', heartbeats: false, channel: 1 });
    conversation(t);
    expect(t.lines.map(strip).filter((l) => !l.includes('connection opened'))).toEqual([
      '#1 C->S ch1 basic.publish x=logs rk=kern.info mandatory',
      expect.stringMatching(/^#1 C->S ch1 content-header/),
      '#1 C->S ch1 body 5 B in 1 frame: "hello"',
      '#1 S->C ch1 basic.deliver ctag=ctag-1 dtag=1 redelivered x=logs rk=kern.info',
      '#1 S->C ch1 content-header body=4 B',
      '#1 S->C ch1 body 4 B in 1 frame: 0x000102ff',
      '#1 C->S ch1 basic.ack dtag=1  = settles delivery #1 held 0.00 ms',
    ]);
    expect(t.events.some((e) => e.kind === 'heartbeat')).toBe(true);
  });

  it('writes one JSON object per frame, credentials hidden', () => {
    const t = traced({ format: 'json' });
    conversation(t);
    const objects = t.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const startOk = objects.find((o) => o['method'] === 'connection.start-ok')!;
    expect(startOk['args']).toMatchObject({ mechanism: 'PLAIN', response: { hidden: 12 } });
    const body = objects.find((o) => o['kind'] === 'body' && o['dir'] === 'C->S')!;
    expect(body).toMatchObject({ channel: 1, size: 13, body: { size: 5, frames: 1, preview: '"hello"' }, notes: [], flags: [] });
    expect(objects.find((o) => o['method'] === 'basic.ack')).toMatchObject({ args: { deliveryTag: 1, multiple: false }, notes: ['settles delivery #1 held 0.00 ms'] });
  });

  it('annotates the hex of each frame with --hex', () => {
    const t = traced({ hex: true });
    t.c2s(header(), method(1, 'basic.ack', { deliveryTag: 5, multiple: true }));
    const at = t.lines.findIndex((l) => l.includes('basic.ack'));
    expect(t.lines.slice(at + 1)).toEqual([
      '    01                      type 1 (method)',
      '    00 01                   channel 1',
      '    00 00 00 0d             size 13',
      '    00 3c 00 50             class 60 method 80 (basic.ack)',
      '    00 00 00 00 00 00 00 05 01                      |.........|',
      '    ce                      frame end',
    ]);
    expect(t.lines[2]).toBe('    41 4d 51 50 00 00 09 01 "AMQP" 0 0-9-1');
  });

  it('shows a body cut into frames, and a long text body cut short', () => {
    const t = traced();
    t.c2s(header(), message(1, 'basic.publish', { exchange: '', routingKey: 'q', mandatory: false }, Buffer.alloc(300, 'a'), {}, 128));
    expect(t.lines.map(strip).slice(-4)).toEqual([
      '#1 C->S ch1 content-header body=300 B',
      '#1 C->S ch1 body frame 1 128 B',
      '#1 C->S ch1 body frame 2 128 B',
      `#1 C->S ch1 body 300 B in 3 frames: "${'a'.repeat(64)}"...`,
    ]);
  });

  it('prints a summary per connection and channel', () => {
    const t = traced();
    conversation(t);
    const summary = t.tracer.summary();
    expect(summary[0]).toBe('--- trace summary ---');
    expect(summary).toContain('#1 test');
    expect(summary.find((l) => l.startsWith('  ch1:'))).toBe('  ch1: 11 frames, 330 B; unconfirmed 0, unacked 0, flags 0');
    expect(summary.some((l) => /^ {4}basic\.publish +3 frames +\d+ B$/.test(l))).toBe(true);
    expect(summary).toContain('    hold time p50 0.00 ms p99 0.00 ms (n=1)');
  });
});

describe('recording', () => {
  it('replays a recording into the same lines as the live trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-rec-'));
    const file = join(dir, 'run.awt');
    const live = traced();
    const rec = new RecordingWriter(file);
    const feed = (dir: 'C->S' | 'S->C', b: Buffer): void => {
      rec.write(dir === 'C->S' ? RecordKind.C2S : RecordKind.S2C, 1, b);
      if (dir === 'C->S') live.c2s(b);
      else live.s2c(b);
    };
    rec.write(RecordKind.OPEN, 1, Buffer.from('test'));
    feed('C->S', header());
    feed('S->C', method(0, 'connection.start', { versionMajor: 0, versionMinor: 9, serverProperties: {}, mechanisms: 'PLAIN', locales: 'en_US' }));
    feed('C->S', message(1, 'basic.publish', { exchange: '', routingKey: 'q', mandatory: false }, Buffer.from('x')));
    rec.write(RecordKind.CLOSE, 1, Buffer.alloc(0));
    await rec.close();

    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8).toString()).toBe('AWTRACE1');
    expect([...readRecording(bytes)].map((r) => [r.kind, r.conn, r.data.length])).toEqual([[2, 1, 4], [0, 1, 8], [1, 1, 36], [0, 1, 49], [3, 1, 0]]);
    const lines: string[] = [];
    expect(replayRecording(bytes, new Tracer({ out: (l) => lines.push(l) }))).toBe(5);
    expect(lines.map(strip)).toEqual([...live.lines.map(strip), '#1 S->C ch0 connection closed']);

    // A file cut inside its last record reads up to the last whole one.
    expect([...readRecording(bytes.subarray(0, bytes.length - 20))]).toHaveLength(3);
    writeFileSync(join(dir, 'bad'), 'not a recording at all');
    expect(() => [...readRecording(readFileSync(join(dir, 'bad')))]).toThrow(RecordingFormatError);
  });
});
