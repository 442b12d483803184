/**
 * amqp-wire and pika on one real RabbitMQ: the seed's direct ("direct_logs") and topic
 * ("topic_logs") patterns. Consumers of both clients bind the same keys; both clients publish
 * every routing key; each consumer must get exactly the messages its bindings select, counted
 * up to a fence queued behind every confirmed publish (so the negatives are real).
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/client/message.js';
import { exchangeName } from '../support/names.js';
import { collectUntilFence, recordsOf, runPika, sendFence, startPika, useInterop } from '../support/pika.js';

const ctx = useInterop('pika-routing.test');

/** What one consumer received: "producer:routingKey" per message, in arrival order. */
type Received = string[];

interface Routed {
  /** Per binding set, what the amqp-wire consumer and the pika consumer received. */
  wire: Received[];
  pika: Received[];
}

const label = (producer: string, key: string): string => `${producer}:${key}`;

/**
 * Declare `exchange`, bind one amqp-wire and one pika consumer per binding set, publish one
 * message per routing key from pika and then from amqp-wire, fence every queue, collect.
 */
async function route(exchange: string, type: 'direct' | 'topic', bindingSets: string[][], keys: string[]): Promise<Routed> {
  ctx.exchanges.push(exchange);
  await ctx.ch.exchangeDeclare(exchange, type);
  const queues: string[] = [];
  const wireDone: Promise<Message[]>[] = [];
  for (const bindingKeys of bindingSets) {
    const { queue } = await ctx.ch.queueDeclare('', { exclusive: true });
    for (const key of bindingKeys) await ctx.ch.queueBind(queue, exchange, key);
    queues.push(queue);
    wireDone.push((await collectUntilFence(ctx.ch, queue)).done);
  }
  const consumers = bindingSets.map((bindingKeys) => startPika('consume.py', { exchange, exchangeType: type, queue: '', bindingKeys }, { url: ctx.url }));
  for (const c of consumers) queues.push(String((await c.waitFor('ready')).queue));

  const produced = await runPika('produce.py', {
    exchange, exchangeType: type, messages: keys.map((key) => ({ routingKey: key, body: label('pika', key) })),
  }, { url: ctx.url });
  expect(recordsOf(produced, 'sent')).toHaveLength(keys.length);
  await Promise.all(keys.map((key) => ctx.pub.publishConfirmed(exchange, key, label('amqp-wire', key))));
  sendFence(ctx.ch, queues);

  const wire: Received[] = [];
  for (const done of wireDone) {
    const got = await done;
    // The delivery's routing key is the publish's, and the body says which publish it was.
    for (const m of got) expect(m.text()).toMatch(new RegExp(`:${m.fields.routingKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    wire.push(got.map((m) => m.text()));
  }
  const pika: Received[] = [];
  for (const c of consumers) {
    const messages = recordsOf(await c.ended, 'message');
    for (const r of messages) expect(r.body).toBe(`${String(r.body).split(':')[0]}:${String(r.routingKey)}`);
    pika.push(messages.map((r) => String(r.body)));
  }
  return { wire, pika };
}

/** What a consumer selecting `keys` must receive: pika's publishes, then amqp-wire's, in key order. */
function expected(keys: readonly string[]): Received {
  return [...keys.map((k) => label('pika', k)), ...keys.map((k) => label('amqp-wire', k))];
}

describe('direct (the seed\'s "direct_logs")', () => {
  it('routes by exact key: info to the info consumers, warning+error to the others, nothing else anywhere', async () => {
    const keys = ['info', 'warning', 'error', 'debug', 'Info', 'info.extra', 'error ', ''];
    const routed = await route(exchangeName('pika-direct'), 'direct', [['info'], ['warning', 'error']], keys);

    expect(routed.wire[0]).toEqual(expected(['info']));
    expect(routed.pika[0]).toEqual(expected(['info']));
    expect(routed.wire[1]).toEqual(expected(['warning', 'error']));
    expect(routed.pika[1]).toEqual(expected(['warning', 'error']));
    // The negatives, counted: debug, Info, info.extra, "error " and "" reached nobody.
    expect([...routed.wire, ...routed.pika].map((r) => r.length)).toEqual([2, 4, 2, 4]);
  });
});

describe('topic (the seed\'s "topic_logs")', () => {
  it('"#" takes everything, "kern.*" one word after kern, "*.critical" one word before critical', async () => {
    const keys = ['kern.critical', 'kern.info', 'app.critical', 'kern.disk.critical', 'anonymous.info', 'kern', 'critical', 'kern.'];
    const routed = await route(exchangeName('pika-topic'), 'topic', [['#'], ['kern.*'], ['*.critical']], keys);

    // '#' matches zero or more words: every key.
    expect(routed.wire[0]).toEqual(expected(keys));
    expect(routed.pika[0]).toEqual(expected(keys));
    // '*' is exactly one word: not "kern" (zero words), not "kern.disk.critical" (two); "kern."
    // has one empty word, which '*' matches.
    expect(routed.wire[1]).toEqual(expected(['kern.critical', 'kern.info', 'kern.']));
    expect(routed.pika[1]).toEqual(expected(['kern.critical', 'kern.info', 'kern.']));
    expect(routed.wire[2]).toEqual(expected(['kern.critical', 'app.critical']));
    expect(routed.pika[2]).toEqual(expected(['kern.critical', 'app.critical']));
  });
});
