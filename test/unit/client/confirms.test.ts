import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfirmTracker, type PendingConfirm } from '../../../src/client/channel/confirms.js';
import { NackError, UnroutableError } from '../../../src/client/errors.js';

function entry(outcomes: string[], i: number, extra: Partial<PendingConfirm> = {}): PendingConfirm {
  return {
    resolve: () => outcomes.push(`${i}:ok`),
    reject: (e) => outcomes.push(`${i}:${e.name}`),
    mandatory: false, exchange: 'x', routingKey: 'k', bodyLength: 1, returned: null, ...extra,
  };
}

describe('ConfirmTracker', () => {
  it('numbers publishes from 1 and settles single and multiple acks once each', () => {
    const t = new ConfirmTracker(100);
    const out: string[] = [];
    for (let i = 1; i <= 5; i++) expect(t.register(entry(out, i), false)).toBe(i);
    t.onAck(2, false);
    t.onAck(4, true);
    t.onAck(4, true); // repeated: nothing left to settle
    t.onNack(5, false);
    expect(out).toEqual(['2:ok', '1:ok', '3:ok', '4:ok', '5:NackError']);
    expect(t.outstanding).toBe(0);
  });

  it('a mandatory message returned before its ack settles as UnroutableError', () => {
    const t = new ConfirmTracker(10);
    const out: string[] = [];
    t.register(entry(out, 1, { mandatory: true, routingKey: 'a' }), false);
    t.register(entry(out, 2, { mandatory: true, routingKey: 'b' }), false);
    t.onReturn({ replyCode: 312, replyText: 'NO_ROUTE', exchange: 'x', routingKey: 'b' }, 1);
    t.onAck(2, true);
    expect(out).toEqual(['1:ok', '2:UnroutableError']);
  });

  it('waitForConfirms resolves after everything so far is acked and rejects when any was nacked', async () => {
    const t = new ConfirmTracker(10);
    const out: string[] = [];
    t.register(null, false);
    t.register(entry(out, 2), false);
    const all = t.waitForConfirms();
    t.onAck(1, false);
    t.onAck(2, false);
    await expect(all).resolves.toBeUndefined();
    t.register(null, false);
    const nacked = t.waitForConfirms();
    t.onNack(3, false);
    await expect(nacked).rejects.toBeInstanceOf(NackError);
    await expect(t.waitForConfirms()).resolves.toBeUndefined();
  });

  it('bounds publishes in flight and wakes waiters as acks arrive', async () => {
    const t = new ConfirmTracker(2);
    expect(t.acquire()).toBeNull();
    t.register(null, true);
    expect(t.acquire()).toBeNull();
    t.register(null, true);
    const third = t.acquire();
    expect(third).not.toBeNull();
    let woke = false;
    void third!.then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    t.onAck(1, false);
    await third;
    expect(woke).toBe(true);
  });

  it('failAll rejects every outstanding publish, waiter and slot request', async () => {
    const t = new ConfirmTracker(1);
    const out: string[] = [];
    expect(t.acquire()).toBeNull();
    t.register(entry(out, 1), true);
    const slot = t.acquire()!;
    const wait = t.waitForConfirms();
    const err = new Error('gone');
    t.failAll(err);
    expect(out).toEqual(['1:Error']);
    await expect(slot).rejects.toBe(err);
    await expect(wait).rejects.toBe(err);
    await expect(t.acquire()).rejects.toBe(err);
    expect(new UnroutableError(312, 'NO_ROUTE', 'x', 'k').message).toContain("routing key 'k'");
  });

  it('settles any mix of single and multiple acks and nacks like a map of outstanding publishes (fast-check model)', () => {
    const ack = fc.record({ tag: fc.nat(60), multiple: fc.boolean(), nack: fc.boolean() });
    const step = fc.oneof(fc.constant('publish' as const), ack);
    fc.assert(fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const t = new ConfirmTracker(1000);
      const out: string[] = [];
      const want: string[] = [];
      const model = new Map<number, true>();
      let seq = 0;
      for (const s of steps) {
        if (s === 'publish') {
          seq++;
          t.register(entry(out, seq), false);
          model.set(seq, true);
          continue;
        }
        const settled = s.multiple ? [...model.keys()].filter((k) => k <= s.tag).sort((a, b) => a - b) : model.has(s.tag) ? [s.tag] : [];
        for (const k of settled) {
          model.delete(k);
          want.push(`${k}:${s.nack ? 'NackError' : 'ok'}`);
        }
        if (s.nack) t.onNack(s.tag, s.multiple);
        else t.onAck(s.tag, s.multiple);
        expect(t.outstanding).toBe(model.size);
      }
      expect(out).toEqual(want);
    }));
  });

  it('settles single acks behind the front, then the rest with one multiple ack', () => {
    const t = new ConfirmTracker(Number.MAX_SAFE_INTEGER);
    let acked = 0;
    const n = 300_000;
    for (let i = 1; i <= n; i++) t.register({ ...entry([], i), resolve: () => acked++ }, false);
    // Single acks behind the front leave markers that the next multiple ack sweeps.
    for (let i = 2; i <= n; i += 2) t.onAck(i, false);
    t.onAck(n, true);
    expect(acked).toBe(n);
    expect(t.outstanding).toBe(0);
  });
});
