/**
 * Demo steps on the seed's three exchange modes: fanout, direct, topic.
 * @packageDocumentation
 */
import { reprText } from '../format.js';
import { bindInbox, check, list, type DemoContext, type Inbox } from './context.js';
import type { DemoStep } from './context.js';

async function emit(ctx: DemoContext, exchange: string, type: string, messages: ReadonlyArray<[string, string]>): Promise<void> {
  const ch = await ctx.producer.channel();
  await ch.exchangeDeclare(exchange, type);
  for (const [key, body] of messages) {
    ch.basicPublish(exchange, key, body);
    ctx.log(type === 'fanout' ? `emit    sent ${reprText(body)}` : `emit    sent ${reprText(key)}:${reprText(body)}`);
  }
  await ch.close();
}

function expectKeys(inbox: Inbox, label: string, expected: readonly string[]): void {
  const got = inbox.keys().sort();
  check(got.join() === [...expected].sort().join(), `${label} got ${list(got)}, expected ${list(expected)}`);
}

/** emit_log.py / receive_logs.py: every bound queue gets every message. */
export const fanout: DemoStep = {
  title: 'fanout',
  seed: 'emit_log.py / receive_logs.py',
  async run(ctx: DemoContext): Promise<void> {
    const exchange = `${ctx.prefix}-logs`;
    ctx.cleanupExchange(exchange);
    const first = await bindInbox(ctx, exchange, 'fanout', [''], 'receive_logs 1');
    const second = await bindInbox(ctx, exchange, 'fanout', [''], 'receive_logs 2');
    await emit(ctx, exchange, 'fanout', [['', 'info: Hello World!']]);
    await first.waitFor(1, 5000);
    await second.waitFor(1, 5000, 100);
    for (const [name, inbox] of [['receive_logs 1', first], ['receive_logs 2', second]] as const) {
      check(inbox.texts().join() === 'info: Hello World!', `${name} got ${list(inbox.texts())}, expected ['info: Hello World!']`);
    }
  },
};

/** emit_log_direct.py / receive_logs_direct.py: a queue gets the severities it is bound to. */
export const direct: DemoStep = {
  title: 'direct',
  seed: 'emit_log_direct.py / receive_logs_direct.py',
  async run(ctx: DemoContext): Promise<void> {
    const exchange = `${ctx.prefix}-direct_logs`;
    ctx.cleanupExchange(exchange);
    const all = await bindInbox(ctx, exchange, 'direct', ['info', 'warning', 'error'], 'receive info warning error');
    const bad = await bindInbox(ctx, exchange, 'direct', ['warning', 'error'], 'receive warning error');
    await emit(ctx, exchange, 'direct', [['info', 'Hello World!'], ['warning', 'Hello World!'], ['error', 'Run. Run. Or it will explode.']]);
    await all.waitFor(3, 5000);
    await bad.waitFor(2, 5000, 150);
    expectKeys(all, 'receive info warning error', ['info', 'warning', 'error']);
    expectKeys(bad, 'receive warning error', ['warning', 'error']);
  },
};

/** emit_log_topic.py / receive_logs_topic.py: `*` is one word, `#` zero or more. */
export const topic: DemoStep = {
  title: 'topic',
  seed: 'emit_log_topic.py / receive_logs_topic.py',
  async run(ctx: DemoContext): Promise<void> {
    const exchange = `${ctx.prefix}-topic_logs`;
    ctx.cleanupExchange(exchange);
    const everything = await bindInbox(ctx, exchange, 'topic', ['#'], "receive '#'");
    const kern = await bindInbox(ctx, exchange, 'topic', ['kern.*'], "receive 'kern.*'");
    const critical = await bindInbox(ctx, exchange, 'topic', ['*.critical'], "receive '*.critical'");
    await emit(ctx, exchange, 'topic', [
      ['kern.critical', 'A critical kernel error'],
      ['kern.info', 'kernel booted'],
      ['app.critical', 'A critical application error'],
      ['anonymous.info', 'Hello World!'],
    ]);
    await everything.waitFor(4, 5000);
    await kern.waitFor(2, 5000);
    await critical.waitFor(2, 5000, 150);
    expectKeys(everything, "receive '#'", ['kern.critical', 'kern.info', 'app.critical', 'anonymous.info']);
    expectKeys(kern, "receive 'kern.*'", ['kern.critical', 'kern.info']);
    expectKeys(critical, "receive '*.critical'", ['kern.critical', 'app.critical']);
  },
};
