/**
 * The reply types come from each definition's `replies`: `ReplyOf<'queue.declare'>` is
 * `Method<'queue.declare-ok'>`. The type checks below fail `npm run typecheck` if that drifts; the
 * runtime checks hold the table itself to account.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { METHODS, METHOD_BY_NAME, methodKey } from '../../../src/methods/index.js';
import type { Method, ReplyOf } from '../../../src/methods/index.js';
import type { CallResult } from '../../../src/client/channel/rpc-queue.js';
import type { Message } from '../../../src/client/message.js';

describe('ReplyOf', () => {
  it('names the -ok method of each synchronous request, as a decoded Method', () => {
    expectTypeOf<ReplyOf<'queue.declare'>>().toEqualTypeOf<Method<'queue.declare-ok'>>();
    expectTypeOf<ReplyOf<'queue.declare'>['args']['messageCount']>().toEqualTypeOf<number>();
    expectTypeOf<ReplyOf<'basic.consume'>['args']['consumerTag']>().toEqualTypeOf<string>();
    expectTypeOf<ReplyOf<'basic.get'>>().toEqualTypeOf<Method<'basic.get-ok'> | Method<'basic.get-empty'>>();
    expectTypeOf<ReplyOf<'basic.publish'>>().toEqualTypeOf<never>();
    // a channel's basic.get resolves the assembled message, not the bare get-ok method
    expectTypeOf<CallResult<'basic.get'>>().toEqualTypeOf<Message | Method<'basic.get-empty'>>();
    expectTypeOf<CallResult<'queue.purge'>>().toEqualTypeOf<Method<'queue.purge-ok'>>();
    expect(METHOD_BY_NAME.get('queue.declare')!.replies).toEqual(['queue.declare-ok']);
  });

  it('every reply named in the table is a method of the same class, and only synchronous methods have replies', () => {
    for (const m of METHODS) {
      for (const r of m.replies) {
        const reply = METHOD_BY_NAME.get(r);
        expect(reply, `${m.name} -> ${r}`).toBeDefined();
        expect(reply!.classId, `${m.name} -> ${r}`).toBe(m.classId);
      }
      if (m.replies.length > 0) expect(m.synchronous, m.name).toBe(true);
    }
  });

  it('methodKey is the key each definition carries', () => {
    for (const m of METHODS) expect(methodKey(m.classId, m.methodId)).toBe(m.key);
    expect(methodKey(60, 60)).toBe(0x003c003c);
  });
});
