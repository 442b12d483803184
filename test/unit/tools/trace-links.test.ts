/**
 * The trace's links on byte streams built with the frame writer and the method codec: tune
 * winners, confirms (multiple expanded), deliveries and their settlement, round trips, and the
 * flags (errors, cancels, returns, unknown tags, frames over frame_max, decode failures).
 */
import { describe, expect, it } from 'vitest';
import { percentile } from '../../../src/tools/trace/index.js';
import { handshake, header, heartbeat, message, method, traced } from './trace-support.js';

const publish = (rk: string, body = 'hi', mandatory = false) =>
  message(1, 'basic.publish', { exchange: '', routingKey: rk, mandatory }, Buffer.from(body));
const deliver = (tag: number) =>
  message(1, 'basic.deliver', { consumerTag: 'c1', deliveryTag: tag, redelivered: false, exchange: '', routingKey: 'q' }, Buffer.from(`m${tag}`));

function opened() {
  const t = traced();
  handshake(t);
  t.c2s(method(1, 'channel.open', {})).s2c(method(1, 'channel.open-ok', {}));
  return t;
}

describe('trace links', () => {
  it('shows the tune offers and who won each value', () => {
    const t = traced();
    handshake(t, { channelMax: 2047, frameMax: 131072, heartbeat: 60 }, { channelMax: 2047, frameMax: 8192, heartbeat: 0 });
    const note = t.find('connection.tune-ok').notes.find((n) => n.startsWith('tune:'));
    expect(note).toBe('tune: channel_max server 2047 / client 2047: server offer kept; frame_max server 131072 / client 8192: client chose; '
      + 'heartbeat server 60 / client 0: client chose (heartbeats off)');
  });

  it('numbers publishes from confirm.select and expands a multiple ack, with latency', () => {
    const t = opened();
    t.at(0).c2s(method(1, 'confirm.select', { nowait: false })).s2c(method(1, 'confirm.select-ok', {}));
    t.at(10).c2s(publish('a'), publish('b'), publish('c'));
    t.at(12).s2c(method(1, 'basic.ack', { deliveryTag: 2, multiple: true }));
    t.at(15).s2c(method(1, 'basic.nack', { deliveryTag: 3, multiple: false, requeue: false }));
    expect(t.events.filter((e) => e.name === 'basic.publish').map((e) => e.notes)).toEqual([['publish #1'], ['publish #2'], ['publish #3']]);
    expect(t.find('basic.ack').notes).toEqual(['confirms publish #1..#2 (2) after 2.00 ms..2.00 ms']);
    expect(t.find('basic.nack').notes).toEqual(['nacks publish #3 after 5.00 ms']);
    expect(t.find('basic.nack').flags).toEqual(['broker nacked 1 publish(es)']);
    const ch1 = t.tracer.counts()[0]!.channels.find((c) => c.channel === 1)!;
    expect(ch1.unconfirmed).toBe(0);
    expect(ch1.confirmLatency).toEqual([2, 2, 5]);
  });

  it('counts unconfirmed publishes and flags an ack of a publish never sent', () => {
    const t = opened();
    t.c2s(method(1, 'confirm.select', { nowait: false }), publish('a'), publish('b'));
    t.s2c(method(1, 'basic.ack', { deliveryTag: 1, multiple: false }), method(1, 'basic.ack', { deliveryTag: 9, multiple: false }));
    expect(t.find('basic.ack', 1).flags).toEqual(['basic.ack of unknown publish #9']);
    expect(t.tracer.counts()[0]!.channels.find((c) => c.channel === 1)!.unconfirmed).toBe(1);
  });

  it('links a basic.return to the publish it returns', () => {
    const t = opened();
    t.at(0).c2s(method(1, 'confirm.select', { nowait: false }), publish('nowhere', 'x', true));
    t.at(3).s2c(message(1, 'basic.return', { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: 'nowhere' }, Buffer.from('x')));
    const ret = t.find('basic.return');
    expect(ret.flags).toEqual(['returned: 312 NO_ROUTE']);
    expect(ret.notes).toEqual(['return of publish #1 after 3.00 ms']);
  });

  it('links each delivery to its ack, nack or reject with hold time; flags unknown and settled tags', () => {
    const t = opened();
    t.at(0).c2s(method(1, 'basic.consume', { queue: 'q', consumerTag: 'c1', noLocal: false, noAck: false, exclusive: false, nowait: false, arguments: {} }));
    t.s2c(method(1, 'basic.consume-ok', { consumerTag: 'c1' }));
    t.at(1).s2c(deliver(1), deliver(2), deliver(3), deliver(4));
    t.at(5).c2s(method(1, 'basic.ack', { deliveryTag: 2, multiple: true }));
    t.at(7).c2s(method(1, 'basic.reject', { deliveryTag: 3, requeue: true }));
    t.c2s(method(1, 'basic.nack', { deliveryTag: 7, multiple: false, requeue: false }));
    t.c2s(method(1, 'basic.ack', { deliveryTag: 1, multiple: false }));
    expect(t.find('basic.ack').notes).toEqual(['settles delivery #1..#2 (2) held 4.00 ms..4.00 ms']);
    expect(t.find('basic.reject').notes).toEqual(['settles delivery #3 held 6.00 ms']);
    expect(t.find('basic.nack').flags).toEqual(['basic.nack of unknown delivery tag 7 (the broker closes the channel: 406 PRECONDITION_FAILED)']);
    expect(t.find('basic.ack', 1).flags[0]).toMatch(/^basic\.ack of already settled delivery tag 1/);
    const ch1 = t.tracer.counts()[0]!.channels.find((c) => c.channel === 1)!;
    expect(ch1.unacked).toBe(1);
    expect(ch1.holdTime).toEqual([4, 4, 6]);
  });

  it('does not wait for acks of no-ack deliveries', () => {
    const t = opened();
    t.c2s(method(1, 'basic.consume', { queue: 'q', consumerTag: 'c1', noLocal: false, noAck: true, exclusive: false, nowait: false, arguments: {} }));
    t.s2c(method(1, 'basic.consume-ok', { consumerTag: 'c1' }), deliver(1));
    expect(t.find('basic.deliver').notes).toEqual(['delivery #1 (no-ack: settled when sent)']);
    expect(t.tracer.counts()[0]!.channels.find((c) => c.channel === 1)!.unacked).toBe(0);
  });

  it('matches each synchronous request to its reply with the round trip', () => {
    const t = opened();
    t.at(100).c2s(method(1, 'queue.declare', { queue: 'q', passive: false, durable: false, exclusive: false, autoDelete: false, nowait: false, arguments: {} }));
    t.at(102.5).s2c(method(1, 'queue.declare-ok', { queue: 'q', messageCount: 0, consumerCount: 0 }));
    expect(t.find('queue.declare-ok').notes).toEqual(['reply to queue.declare: round trip 2.50 ms']);
    expect(t.find('channel.open-ok').notes[0]).toMatch(/^reply to channel\.open: round trip/);
  });

  it('flags a channel error, a server cancel and frames after channel.close', () => {
    const t = opened();
    t.s2c(method(1, 'basic.cancel', { consumerTag: 'c1', nowait: true }));
    t.c2s(method(1, 'queue.declare', { queue: 'missing', passive: true, durable: false, exclusive: false, autoDelete: false, nowait: false, arguments: {} }));
    t.s2c(method(1, 'channel.close', { replyCode: 404, replyText: "NOT_FOUND - no queue 'missing'", classId: 50, methodId: 10 }));
    t.s2c(method(1, 'basic.ack', { deliveryTag: 1, multiple: false }));
    t.c2s(method(1, 'channel.close-ok', {}));
    expect(t.find('basic.cancel').flags).toEqual(['server cancelled consumer c1']);
    expect(t.find('channel.close').flags).toEqual(["channel closed by server: 404 NOT_FOUND 'NOT_FOUND - no queue 'missing''"]);
    expect(t.find('basic.ack').flags).toContain('basic.ack after channel.close');
    expect(t.lines.find((l) => l.includes('channel.close ')))
      .toMatch(/S->C ch1 channel\.close code=404 text="NOT_FOUND - no queue 'missing'" on=queue\.declare {2}!! channel closed by server/);
  });

  it('flags frames over the negotiated frame_max', () => {
    const t = traced();
    handshake(t, { channelMax: 2047, frameMax: 4096, heartbeat: 0 });
    t.c2s(method(1, 'channel.open', {}), message(1, 'basic.publish', { exchange: '', routingKey: 'q', mandatory: false }, Buffer.alloc(5000), {}, 5000));
    const body = t.events.find((e) => e.kind === 'body')!;
    expect(body.flags).toEqual(['frame of 5008 B over frame_max 4096']);
  });

  it('says when decoding fails, keeps going on the other direction, and never throws', () => {
    const t = opened();
    t.c2s(Buffer.from([1, 0, 1, 0, 0, 0, 4, 0, 50, 0, 10, 0x00])); // frame-end byte wrong
    t.c2s(method(1, 'queue.declare', { queue: 'q', passive: false, durable: false, exclusive: false, autoDelete: false, nowait: false, arguments: {} }));
    t.s2c(method(1, 'channel.close', { replyCode: 200, replyText: 'ok', classId: 0, methodId: 0 }));
    const failures = t.events.filter((e) => e.kind === 'decode-error');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.dir).toBe('C->S');
    expect(failures[0]!.error).toMatch(/bytes still forwarded, this direction no longer decoded$/);
    expect(t.methods().slice(-1)).toEqual(['S->C channel.close']);
    expect(t.methods()).not.toContain('C->S queue.declare');
  });

  it('flags a protocol header that is not AMQP 0-9-1', () => {
    const t = traced();
    t.c2s(Buffer.from('AMQP\x00\x00\x08\x00', 'latin1'));
    expect(t.events.find((e) => e.kind === 'decode-error')?.error).toMatch(/protocol/i);
  });

  it('times heartbeats against the previous one', () => {
    const t = opened();
    t.at(0).s2c(heartbeat());
    t.at(60_000).s2c(heartbeat());
    expect(t.events.filter((e) => e.kind === 'heartbeat').map((e) => e.notes)).toEqual([[], ['60.00 s since the previous heartbeat']]);
  });

  it('decodes the same events whatever the chunking', () => {
    const stream = Buffer.concat([header(), method(0, 'connection.start-ok', { clientProperties: {}, mechanism: 'PLAIN', response: 'x', locale: 'en_US' }),
      message(1, 'basic.publish', { exchange: 'x', routingKey: 'k', mandatory: false }, Buffer.alloc(300, 0x61), { headers: { a: 1 } }, 100)]);
    const whole = traced().c2s(stream);
    const bytewise = traced();
    for (let i = 0; i < stream.length; i++) bytewise.c2s(stream.subarray(i, i + 1));
    const shape = (t: typeof whole) => t.events.map((e) => [e.kind, e.name, e.size, e.body?.size, e.body?.frames]);
    expect(shape(bytewise)).toEqual(shape(whole));
    expect(whole.events.filter((e) => e.kind === 'body').map((e) => e.body?.frames)).toEqual([undefined, undefined, 3]);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
