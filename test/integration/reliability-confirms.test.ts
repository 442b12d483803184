/**
 * R19 and R20: confirmed publishes that the broker refuses settle as the right typed error, each
 * exactly once, never as success.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NackError, UnroutableError, type ReturnedMessage } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { connectNamed, uniqueName, until } from './reliability-support.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());

/** Counts how each publish settled; a second settle of one promise would show up in `settles`. */
async function tally(publishes: Promise<void>[]): Promise<{ ok: number; errors: Map<string, number>; settles: number }> {
  let settles = 0;
  const results = await Promise.allSettled(publishes.map((p) => p.finally(() => { settles++; })));
  const errors = new Map<string, number>();
  let ok = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') ok++;
    else {
      const name = (r.reason as Error).name;
      errors.set(name, (errors.get(name) ?? 0) + 1);
    }
  }
  return { ok, errors, settles };
}

describe('R19: x-max-length=100 with x-overflow=reject-publish', () => {
  it('1,000 confirmed publishes with no consumer: exactly 100 acked and 900 NackError', async () => {
    const conn = connections.track(await connectNamed(uniqueName('r19')));
    const ch = await conn.channel();
    const queue = uniqueName('r19');
    await ch.queueDeclare(queue, { exclusive: true, arguments: { 'x-max-length': 100, 'x-overflow': 'reject-publish' } });

    const publishes = Array.from({ length: 1000 }, (_, i) => ch.publishConfirmed('', queue, `message ${i}`));
    const nacked = new Set<number>();
    for (const p of publishes) p.catch((e: unknown) => { if (e instanceof NackError) nacked.add(e.deliveryTag); });
    const { ok, errors, settles } = await tally(publishes);

    console.log(`[R19] acked ${ok}, errors ${JSON.stringify(Object.fromEntries(errors))}`);
    expect(ok).toBe(100);
    expect(Object.fromEntries(errors)).toEqual({ NackError: 900 });
    expect(settles).toBe(1000);
    // The broker accepts in order: the first 100 fit, every later one is refused.
    expect([...nacked].sort((a, b) => a - b)).toEqual(Array.from({ length: 900 }, (_, i) => i + 101));
    expect((await ch.queueDeclare(queue, { passive: true })).messageCount).toBe(100);
    await conn.close();
    await expectNoLeakedHandles();
  });
});

describe('R20: mandatory publishes to an exchange with no bindings', () => {
  it('1,000 mandatory publishConfirmed: all UnroutableError, none success, one return each', async () => {
    const conn = connections.track(await connectNamed(uniqueName('r20')));
    const ch = await conn.channel();
    const exchange = uniqueName('r20-unbound');
    await ch.exchangeDeclare(exchange, 'direct', { autoDelete: false });
    const returns: ReturnedMessage[] = [];
    ch.on('return', (r: ReturnedMessage) => returns.push(r));
    try {
      const publishes = Array.from({ length: 1000 }, (_, i) =>
        ch.publishConfirmed(exchange, 'key', `message ${i}`, {}, { mandatory: true }));
      const { ok, errors, settles } = await tally(publishes);

      console.log(`[R20] succeeded ${ok}, errors ${JSON.stringify(Object.fromEntries(errors))}`);
      expect(ok).toBe(0);
      expect(Object.fromEntries(errors)).toEqual({ UnroutableError: 1000 });
      expect(settles).toBe(1000);
      const first = await publishes[0]!.catch((e: unknown) => e);
      expect(first).toBeInstanceOf(UnroutableError);
      expect(first).toMatchObject({ replyCode: 312, exchange, routingKey: 'key' });
      await until('1,000 basic.return events', () => returns.length === 1000);
      expect(new Set(returns.map((r) => r.body.toString())).size).toBe(1000);
    } finally {
      await ch.exchangeDelete(exchange);
    }
    await conn.close();
    await expectNoLeakedHandles();
  });
});
