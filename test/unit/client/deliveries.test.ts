/**
 * The delivery ledger against a plain model (a set scanned in full): the same tags outstanding
 * after any mix of deliveries, single and multiple settlements, tx commit and rollback, recover;
 * and a multiple ack that settles a few tags costs what it settles, not what is outstanding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../../src/client/channel/deliveries.js';
import { UsageError } from '../../../src/client/errors.js';

const ops = fc.array(fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('deliver' as const), n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('settle' as const), pick: fc.nat(), multiple: fc.boolean(), zero: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'txSelect' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'rollback' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'recover' as const }) },
), { maxLength: 80 });

/** What outstanding tags the ledger holds, read through its public behaviour: settle each one. */
function outstanding(ledger: DeliveryLedger, candidates: Iterable<number>): number[] {
  const out: number[] = [];
  for (const t of candidates) {
    try {
      ledger.settle(t, false, 'ack');
      out.push(t);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
    }
  }
  return out;
}

describe('DeliveryLedger', () => {
  it('agrees with a full-scan model over any sequence of operations', () => {
    fc.assert(fc.property(ops, (seq) => {
      const ledger = new DeliveryLedger(1);
      const model = new Set<number>();
      let tx: number[] | null = null;
      let next = 1;
      for (const o of seq) {
        if (o.op === 'deliver') {
          for (let i = 0; i < o.n; i++) {
            ledger.delivered(next);
            model.add(next++);
          }
        } else if (o.op === 'settle') {
          const tags = [...model].sort((a, b) => a - b);
          const tag = o.multiple && o.zero ? 0 : tags.length === 0 ? next : tags[o.pick % tags.length]!;
          const expected = o.multiple ? tags.filter((t) => tag === 0 || t <= tag) : model.has(tag) ? [tag] : [];
          if (expected.length === 0) {
            expect(() => ledger.settle(tag, o.multiple, 'ack')).toThrow(UsageError);
          } else {
            ledger.settle(tag, o.multiple, 'ack');
            for (const t of expected) model.delete(t);
            tx?.push(...expected);
          }
        } else if (o.op === 'txSelect') {
          ledger.txSelected();
          tx ??= [];
        } else if (o.op === 'commit') {
          ledger.txCommitted();
          if (tx) tx.length = 0;
        } else if (o.op === 'rollback') {
          ledger.txRolledBack();
          for (const t of tx ?? []) model.add(t);
          if (tx) tx.length = 0;
        } else {
          ledger.forgetAll();
          model.clear();
        }
      }
      const all = Array.from({ length: next }, (_, i) => i + 1);
      expect(outstanding(ledger, all)).toEqual([...model].sort((a, b) => a - b));
    }), { numRuns: 500 });
  });

  it('a multiple ack after a rollback still settles exactly the tags up to it', () => {
    const ledger = new DeliveryLedger(1);
    ledger.txSelected();
    for (let t = 1; t <= 6; t++) ledger.delivered(t);
    ledger.settle(2, false, 'ack');
    ledger.settle(5, false, 'ack');
    ledger.txRolledBack();
    ledger.settle(3, true, 'ack');
    expect(outstanding(ledger, [1, 2, 3, 4, 5, 6])).toEqual([4, 5, 6]);
  });

  it('settles a multiple ack of the oldest tags without walking the whole ledger', () => {
    const ledger = new DeliveryLedger(1);
    const n = 200_000;
    for (let t = 1; t <= n; t++) ledger.delivered(t);
    // Counting how many tags the settlement visits, through the set it iterates.
    let visited = 0;
    const unacked = (ledger as unknown as { unacked: Set<number> }).unacked;
    const iterate = unacked[Symbol.iterator].bind(unacked);
    const counted = function* (): Generator<number, undefined> {
      for (const t of iterate()) {
        visited++;
        yield t;
      }
      return undefined;
    };
    (unacked as unknown as { [Symbol.iterator]: () => Iterator<number> })[Symbol.iterator] = counted;
    ledger.settle(10, true, 'ack');
    expect(visited).toBeLessThanOrEqual(11);
    expect(outstanding(ledger, [10, 11])).toEqual([11]);
  });
});
