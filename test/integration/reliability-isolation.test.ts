/**
 * R13: a channel error closes that channel only. Channel A draws 404s again and again while
 * channel B of the same connection publishes 10,000 confirmed messages; B sees no error at all.
 */
import { describe, expect, it } from 'vitest';
import { ChannelClosedError } from '../../src/index.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { connectNamed, uniqueName } from './reliability-support.js';

const MESSAGES = 10_000;
const MIN_ERRORS_AMID_B = 6;

describe('R13: channel-error isolation', () => {
  it('404s on channel A while channel B publishes 10,000 confirmed messages: zero errors on B', async () => {
    const conn = await connectNamed(uniqueName('r13'));
    try {
      const b = await conn.channel();
      const queue = uniqueName('r13');
      await b.queueDeclare(queue, { exclusive: true });
      const bEvents: unknown[] = [];
      b.on('error', (e) => bEvents.push(e));
      b.on('close', (e) => bEvents.push(e ?? 'close'));
      const connEvents: unknown[] = [];
      conn.on('error', (e) => connEvents.push(e));

      let publishing = true;
      const body = Buffer.alloc(256, 7);
      let confirmed = 0;
      const publishes = Array.from({ length: MESSAGES }, (_, i) =>
        b.publishConfirmed('', queue, body, { messageId: String(i) }).finally(() => { confirmed++; }));
      const allSettled = Promise.allSettled(publishes).finally(() => { publishing = false; });

      // Channels A (four at a time): open, 404, repeat, for as long as B's publishes are in flight.
      const aErrors: ChannelClosedError[] = [];
      // A 404 counts as overlapping B only if it arrived after B's first confirm and before its last.
      let aErrorsAmidB = 0;
      const loopA = async (): Promise<void> => {
        do {
          const a = await conn.channel();
          const err = await a.queueDeclare(uniqueName('missing'), { passive: true }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(ChannelClosedError);
          aErrors.push(err as ChannelClosedError);
          if (confirmed > 0 && confirmed < MESSAGES) aErrorsAmidB++;
        } while (publishing);
      };
      await Promise.all([loopA(), loopA(), loopA(), loopA()]);
      const aRounds = aErrors.length;

      const results = await allSettled;
      const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      console.log(
        `[R13] ${aRounds} channel-A 404s (${aErrorsAmidB} between B's first and last confirm) during ${MESSAGES} ` +
          `confirmed publishes on B; B failures: ${failures.length}`,
      );
      // Each of the four loops runs at least once whatever happens; only 404s that land while B's
      // confirms are arriving show that A's errors and B's traffic shared the connection.
      expect(aErrorsAmidB).toBeGreaterThanOrEqual(MIN_ERRORS_AMID_B);
      expect(aErrors.every((e) => e.replyCode === 404 && e.by === 'server')).toBe(true);
      expect(failures).toEqual([]);
      expect(bEvents).toEqual([]);
      expect(connEvents).toEqual([]);
      expect(b.isOpen).toBe(true);
      expect((await b.queueDeclare(queue, { passive: true })).messageCount).toBe(MESSAGES);
    } finally {
      await conn.close();
    }
    await expectNoLeakedHandles();
  });
});
