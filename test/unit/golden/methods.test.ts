/**
 * Golden method frames, laid out by hand from the 0-9-1 spec (section 4.2 framing, the class
 * definitions for field order, RabbitMQ's table letters), not produced by our encoder. Each is
 * checked both ways: the bytes decode to the object, and the object encodes to the bytes.
 */
import { describe, expect, it } from 'vitest';
import { FrameType } from '../../../src/frames/constants.js';
import { Writer } from '../../../src/frames/writer.js';
import { decodeMethod, encodeMethod, METHOD_BY_NAME } from '../../../src/methods/codec.js';
import { decodeBasicDeliver, encodeBasicAck, encodeBasicPublish } from '../../../src/methods/fast-path.js';
import type { MethodArgs, MethodName } from '../../../src/methods/types.js';
import { hex, toHex } from '../../support/hex.js';
import { onlyFrame } from '../methods/frame-helpers.js';

interface Golden {
  name: MethodName;
  channel: number;
  /** What goes into encodeMethod (defaulted fields may be left out). */
  args: Record<string, unknown>;
  /** What decodeMethod gives back: every field, long strings as Buffers. Left out when that is `args`. */
  decoded?: Record<string, unknown>;
  bytes: Buffer;
}

/** What `g` decodes to. */
const decodedOf = (g: Golden): Record<string, unknown> => g.decoded ?? g.args;

const GOLDEN: Golden[] = [
  {
    name: 'connection.tune',
    channel: 0,
    args: { channelMax: 2047, frameMax: 131072, heartbeat: 60 },
    bytes: hex`
      01 0000 0000000c      # method frame, channel 0, size 12
      000a 001e             # connection.tune (10, 30)
      07ff                  # channel-max 2047
      00020000              # frame-max 131072
      003c                  # heartbeat 60 s
      ce                    # frame-end`,
  },
  {
    name: 'connection.open',
    channel: 0,
    args: { virtualHost: '/' },
    decoded: { virtualHost: '/', capabilities: '', insist: false },
    bytes: hex`
      01 0000 00000008      # method frame, channel 0, size 8
      000a 0028             # connection.open (10, 40)
      01 2f                 # virtual-host: shortstr (1) "/"
      00                    # reserved-1 (capabilities): empty shortstr
      00                    # bits: reserved-2 (insist) 0
      ce`,
  },
  {
    name: 'queue.declare',
    channel: 1,
    args: { queue: 'tasks', passive: false, durable: true, exclusive: false, autoDelete: true, nowait: false },
    decoded: { ticket: 0, queue: 'tasks', passive: false, durable: true, exclusive: false, autoDelete: true, nowait: false, arguments: {} },
    bytes: hex`
      01 0001 00000011      # method frame, channel 1, size 17
      0032 000a             # queue.declare (50, 10)
      0000                  # reserved-1 (ticket) 0
      05 7461736b73         # queue: shortstr (5) "tasks"
      0a                    # bits, LSB first: passive 0, durable 1 (0x02), exclusive 0, auto-delete 1 (0x08), no-wait 0
      00000000              # arguments: empty table
      ce`,
  },
  {
    name: 'basic.publish',
    channel: 1,
    args: { exchange: 'logs', routingKey: 'café', mandatory: true },
    decoded: { ticket: 0, exchange: 'logs', routingKey: 'café', mandatory: true, immediate: false },
    bytes: hex`
      01 0001 00000012      # method frame, channel 1, size 18
      003c 0028             # basic.publish (60, 40)
      0000                  # reserved-1 (ticket) 0
      04 6c6f6773           # exchange: shortstr (4) "logs"
      05 636166c3a9         # routing-key: shortstr of 5 bytes, 4 characters: "café" (é = c3 a9)
      01                    # bits: mandatory 1, immediate 0
      ce`,
  },
  {
    name: 'basic.deliver',
    channel: 1,
    args: { consumerTag: 'ctag-1', deliveryTag: 2 ** 32 + 5, redelivered: true, exchange: '', routingKey: 'tasks' },
    bytes: hex`
      01 0001 0000001b      # method frame, channel 1, size 27
      003c 003c             # basic.deliver (60, 60)
      06 637461672d31       # consumer-tag: shortstr (6) "ctag-1"
      0000000100000005      # delivery-tag 2^32 + 5 (longlong)
      01                    # bits: redelivered 1
      00                    # exchange: empty shortstr (default exchange)
      05 7461736b73         # routing-key: shortstr (5) "tasks"
      ce`,
  },
  {
    name: 'basic.ack',
    channel: 1,
    args: { deliveryTag: 42, multiple: true },
    bytes: hex`
      01 0001 0000000d      # method frame, channel 1, size 13
      003c 0050             # basic.ack (60, 80)
      000000000000002a      # delivery-tag 42
      01                    # bits: multiple 1
      ce`,
  },
  {
    name: 'basic.consume',
    channel: 1,
    args: {
      queue: 'tasks', consumerTag: '', noLocal: false, noAck: true, exclusive: false, nowait: false,
      arguments: { 'x-priority': 10, 'x-stream-offset': 'first' },
    },
    decoded: {
      ticket: 0, queue: 'tasks', consumerTag: '', noLocal: false, noAck: true, exclusive: false, nowait: false,
      arguments: { 'x-priority': 10, 'x-stream-offset': 'first' },
    },
    bytes: hex`
      01 0001 00000039      # method frame, channel 1, size 57
      003c 0014             # basic.consume (60, 20)
      0000                  # reserved-1 (ticket) 0
      05 7461736b73         # queue: shortstr (5) "tasks"
      00                    # consumer-tag: empty (server picks one)
      02                    # bits: no-local 0, no-ack 1 (0x02), exclusive 0, no-wait 0
      00000027              # arguments: table, 39 bytes
      0a 782d7072696f72697479             #   key (10) "x-priority"
      62 0a                               #   b int8 10 (smallest signed tag that holds it)
      0f 782d73747265616d2d6f6666736574   #   key (15) "x-stream-offset"
      53 00000005 6669727374              #   S long string (5) "first"
      ce`,
  },
  {
    name: 'connection.close',
    channel: 0,
    args: {
      replyCode: 320, replyText: "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'", classId: 0, methodId: 0,
    },
    bytes: hex`
      01 0000 00000056      # method frame, channel 0, size 86
      000a 0032             # connection.close (10, 50)
      0140                  # reply-code 320 CONNECTION_FORCED
      4b                    # reply-text: shortstr (75)
      434f4e4e454354494f4e5f464f52434544202d20   # "CONNECTION_FORCED - "
      62726f6b657220666f7263656420636f6e6e656374696f6e20636c6f7375726520   # "broker forced connection closure "
      7769746820726561736f6e202773687574646f776e27   # "with reason 'shutdown'"
      0000                  # class-id 0 (not caused by a method)
      0000                  # method-id 0
      ce`,
  },
  {
    name: 'channel.close',
    channel: 2,
    args: { replyCode: 404, replyText: "NOT_FOUND - no queue 'orders' in vhost '/'", classId: 50, methodId: 10 },
    bytes: hex`
      01 0002 00000035      # method frame, channel 2, size 53
      0014 0028             # channel.close (20, 40)
      0194                  # reply-code 404 NOT_FOUND
      2a                    # reply-text: shortstr (42)
      4e4f545f464f554e44202d20   # "NOT_FOUND - "
      6e6f20717565756520276f72646572732720696e2076686f737420272f27   # "no queue 'orders' in vhost '/'"
      0032 000a             # class-id 50, method-id 10: caused by queue.declare
      ce`,
  },
  {
    name: 'exchange.unbind-ok',
    channel: 1,
    args: {},
    bytes: hex`
      01 0001 00000004      # method frame, channel 1, size 4
      0028 0033             # exchange.unbind-ok (40, 51): RabbitMQ's id, not the 0-9-1 XML's 41
      ce`,
  },
  {
    name: 'connection.start-ok',
    channel: 0,
    args: {
      clientProperties: { product: 'amqp-wire', capabilities: { publisher_confirms: true } },
      mechanism: 'PLAIN', response: '\0guest\0guest', locale: 'en_US',
    },
    decoded: {
      clientProperties: { product: 'amqp-wire', capabilities: { publisher_confirms: true } },
      mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US',
    },
    bytes: hex`
      01 0000 00000061      # method frame, channel 0, size 97
      000a 000b             # connection.start-ok (10, 11)
      0000003d              # client-properties: table, 61 bytes
      07 70726f64756374                    #   key (7) "product"
      53 00000009 616d71702d77697265       #   S (9) "amqp-wire"
      0c 6361706162696c6974696573          #   key (12) "capabilities"
      46 00000015                          #   F nested table, 21 bytes
      12 7075626c69736865725f636f6e6669726d73  # key (18) "publisher_confirms"
      74 01                                #     t true
      05 504c41494e         # mechanism: shortstr (5) "PLAIN"
      0000000c 006775657374006775657374  # response: longstr (12) NUL "guest" NUL "guest"
      05 656e5f5553         # locale: shortstr (5) "en_US"
      ce`,
  },
];

describe('golden method frames', () => {
  it.each(GOLDEN)('$name: bytes decode to the object', (g) => {
    const f = onlyFrame(g.bytes);
    expect(f.type).toBe(FrameType.METHOD);
    expect(f.channel).toBe(g.channel);
    const def = METHOD_BY_NAME.get(g.name)!;
    expect(decodeMethod(f.buf, f.start, f.end)).toEqual({ name: g.name, classId: def.classId, methodId: def.methodId, args: decodedOf(g) });
  });

  it.each(GOLDEN)('$name: the object encodes to the bytes', (g) => {
    const w = new Writer(16);
    encodeMethod(w, g.channel, g.name, g.args as MethodArgs<MethodName>);
    expect(toHex(w.flush())).toBe(toHex(g.bytes));
  });

  it.each(GOLDEN)('$name: the decoded object encodes to the bytes again', (g) => {
    const w = new Writer(16);
    encodeMethod(w, g.channel, g.name, decodedOf(g) as MethodArgs<MethodName>);
    expect(toHex(w.flush())).toBe(toHex(g.bytes));
  });

  const golden = (name: string): Golden => GOLDEN.find((g) => g.name === name)!;

  it('fast paths agree with the golden bytes', () => {
    const publish = golden('basic.publish');
    const ack = golden('basic.ack');
    const deliver = golden('basic.deliver');
    const w = new Writer(16);
    encodeBasicPublish(w, 1, 'logs', 'café', true);
    expect(toHex(w.flush())).toBe(toHex(publish.bytes));
    encodeBasicAck(w, 1, 42, true);
    expect(toHex(w.flush())).toBe(toHex(ack.bytes));
    const f = onlyFrame(deliver.bytes);
    expect(decodeBasicDeliver(f.buf, f.start, f.end)).toEqual(decodedOf(deliver));
  });
});
