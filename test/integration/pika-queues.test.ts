/**
 * amqp-wire and pika (the seed's own client) on one real RabbitMQ: the seed's simple queue and
 * fanout patterns, each direction, and bodies of 0 bytes up to several body frames. Every consumer runs until a fence message that is queued
 * behind every confirmed publish, so "exactly once, nothing else" is checked without sleeps.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/client/message.js';
import { exchangeName, queueName } from '../support/names.js';
import { collectUntilFence, recordsOf, runPika, sendFence, startPika, useInterop, type PikaRecord } from '../support/pika.js';

const ctx = useInterop('pika-queues.test');

/** The seed's producer body: "兔子" + i for i in range(10). */
const RABBITS = Array.from({ length: 10 }, (_, i) => `兔子${i}`);

const texts = (messages: readonly Message[]): string[] => messages.map((m) => m.text());
const bodies = (records: readonly PikaRecord[]): unknown[] => recordsOf(records, 'message').map((r) => r.body);

describe('simple queue (the seed\'s "hello")', () => {
  it('pika producer -> amqp-wire consumer: 兔子0..兔子9 each arrive once, in order', async () => {
    const queue = queueName('pika-simple-to-wire');
    ctx.queues.push(queue);
    await ctx.ch.queueDeclare(queue);
    const { done } = await collectUntilFence(ctx.ch, queue);

    const produced = await runPika('produce.py', { queue, messages: RABBITS.map((body) => ({ routingKey: queue, body })) }, { url: ctx.url });
    expect(recordsOf(produced, 'sent')).toHaveLength(10);
    sendFence(ctx.ch, [queue]);

    const got = await done;
    expect(texts(got)).toEqual(RABBITS);
    for (const m of got) {
      expect(m.fields).toMatchObject({ exchange: '', routingKey: queue, redelivered: false });
    }
  });

  it('amqp-wire producer -> pika consumer: 兔子0..兔子9 each arrive once, in order', async () => {
    const queue = queueName('pika-simple-to-pika');
    ctx.queues.push(queue);
    const consumer = startPika('consume.py', { queue }, { url: ctx.url });
    await consumer.waitFor('ready');
    // The same declaration as the seed's consumer: every flag false, so it is idempotent.
    await ctx.pub.queueDeclare(queue);
    await Promise.all(RABBITS.map((body) => ctx.pub.publishConfirmed('', queue, body)));
    sendFence(ctx.ch, [queue]);

    const records = await consumer.ended;
    expect(bodies(records)).toEqual(RABBITS);
    expect(recordsOf(records, 'message').every((r) => r.routingKey === queue && r.exchange === '' && r.redelivered === false)).toBe(true);
    expect(recordsOf(records, 'done')).toEqual([{ event: 'done', count: 10 }]);
  });
});

describe('fanout (the seed\'s "logs")', () => {
  it('two amqp-wire queues and one pika queue each get every message from both producers, and nothing else', async () => {
    const exchange = exchangeName('pika-fanout');
    ctx.exchanges.push(exchange);
    await ctx.ch.exchangeDeclare(exchange, 'fanout');

    // amqp-wire consumers: server-named exclusive queues, as in the seed's receive_logs.
    const wireQueues: string[] = [];
    const wireDone: Promise<Message[]>[] = [];
    for (let i = 0; i < 2; i++) {
      const { queue } = await ctx.ch.queueDeclare('', { exclusive: true });
      await ctx.ch.queueBind(queue, exchange);
      wireQueues.push(queue);
      wireDone.push((await collectUntilFence(ctx.ch, queue)).done);
    }
    const pikaConsumer = startPika('consume.py', { exchange, exchangeType: 'fanout', queue: '' }, { url: ctx.url });
    const pikaQueue = String((await pikaConsumer.waitFor('ready')).queue);
    expect(pikaQueue).toMatch(/^amq\.gen-/);

    const fromPika = Array.from({ length: 5 }, (_, i) => `info: Hello World! pika ${i}`);
    const fromWire = Array.from({ length: 5 }, (_, i) => `info: Hello World! amqp-wire ${i}`);
    await runPika('produce.py', { exchange, exchangeType: 'fanout', messages: fromPika.map((body) => ({ routingKey: '', body })) }, { url: ctx.url });
    await Promise.all(fromWire.map((body) => ctx.pub.publishConfirmed(exchange, '', body)));
    sendFence(ctx.ch, [...wireQueues, pikaQueue]);

    const expected = [...fromPika, ...fromWire];
    for (const done of wireDone) {
      const got = await done;
      expect(texts(got)).toEqual(expected);
      expect(got.every((m) => m.fields.exchange === exchange && m.fields.routingKey === '')).toBe(true);
    }
    const records = await pikaConsumer.ended;
    expect(bodies(records)).toEqual(expected);
    expect(recordsOf(records, 'message').every((r) => r.exchange === exchange && r.routingKey === '')).toBe(true);
  });
});

describe('bodies', () => {
  /** Every byte value (so never valid UTF-8), repeated past two frame_max (131072) boundaries. */
  const BLOCK = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
  const REPEAT = 1200; // 307200 bytes: three body frames each way
  const bodySet = [Buffer.alloc(0), Buffer.from([0xff]), Buffer.concat(Array.from({ length: REPEAT }, () => BLOCK))];
  const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

  it('empty, one-byte and 300 KB binary bodies cross pika -> amqp-wire and amqp-wire -> pika byte for byte', async () => {
    const toWire = queueName('pika-bodies-to-wire');
    const toPika = queueName('pika-bodies-to-pika');
    ctx.queues.push(toWire, toPika);
    await ctx.ch.queueDeclare(toWire);
    const { done } = await collectUntilFence(ctx.ch, toWire);
    const consumer = startPika('consume.py', { queue: toPika }, { url: ctx.url });
    await consumer.waitFor('ready');

    await runPika('produce.py', {
      queue: toWire,
      messages: [
        { routingKey: toWire, bodyHex: '' },
        { routingKey: toWire, bodyHex: 'ff' },
        { routingKey: toWire, bodyHex: BLOCK.toString('hex'), repeat: REPEAT },
      ],
    }, { url: ctx.url });
    await Promise.all(bodySet.map((body) => ctx.pub.publishConfirmed('', toPika, body)));
    sendFence(ctx.ch, [toWire, toPika]);

    const got = await done;
    expect(got.map((m) => m.body.length)).toEqual(bodySet.map((b) => b.length));
    got.forEach((m, i) => {
      expect(Buffer.compare(m.body, bodySet[i]!), `body ${i}`).toBe(0);
    });
    const records = recordsOf(await consumer.ended, 'message');
    expect(records.map((r) => [r.bodyLength, r.bodySha256])).toEqual(bodySet.map((b) => [b.length, sha256(b)]));
  });
});
