/**
 * R11: error containment. Listeners and handlers that throw or reject, in every event the client
 * emits, and connections with no 'error' listener at all, must never produce an uncaught
 * exception or an unhandled rejection, nor cost the connection its life; not even when the broker
 * kills the connection in the middle of consuming. (The blocked/unblocked listeners are covered
 * in reliability-blocked.test.ts, which owns the memory alarm.)
 */
import type { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, type Channel, type Connection } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { closeConnections } from '../support/rabbitmqctl.js';
import {
  connectNamed, connectProxied, recordProcessFaults, sleep, uniqueName, until, watch, type ProcessFaults,
} from './reliability-support.js';

const CHANNEL_EVENTS = ['close', 'error', 'return', 'drain', 'cancel'] as const;

/** Calls per `who:event` label. */
type Calls = Map<string, number>;

const bump = (calls: Calls, label: string): void => { calls.set(label, (calls.get(label) ?? 0) + 1); };

/** Adds a listener that throws and one that rejects for each event. */
function hostile(typed: Connection | Channel, who: string, events: readonly string[], calls: Calls): void {
  // The names come from a list: drop the event map's typing for them.
  const emitter = typed as unknown as EventEmitter;
  for (const event of events) {
    emitter.on(event, () => { bump(calls, `${who}:${event}`); throw new Error(`${who} ${event} listener threw`); });
    emitter.on(event, async () => { bump(calls, `${who}:${event}`); throw new Error(`${who} ${event} listener rejected`); });
  }
}

const connections = trackConnections();
let faults: ProcessFaults | undefined;

afterEach(async () => {
  faults?.dispose();
  faults = undefined;
  await connections.closeAll();
});

/** A second connection that keeps publishing to `queues` until stopped. */
async function startFeeder(queues: string[]): Promise<{ stop: () => Promise<void> }> {
  const feeder = connections.track(await connectNamed(uniqueName('r11-feeder')));
  const ch = await feeder.channel();
  for (const q of queues) await ch.queueDeclare(q, { autoDelete: false });
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const q of queues) ch.basicPublish('', q, 'tick');
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      for (const q of queues) await ch.queueDelete(q);
    },
  };
}

function expectNoEscapes(f: ProcessFaults): void {
  expect(f.uncaught).toEqual([]);
  expect(f.unhandled).toEqual([]);
}

describe('R11: error containment', () => {
  it('throwing and rejecting listeners on every event and in consumer callbacks: nothing escapes, the connection keeps working', async () => {
    faults = recordProcessFaults();
    const calls: Calls = new Map();
    const name = uniqueName('r11-hostile');
    // A high-water mark of 1 byte makes every publish report backpressure, so 'drain' fires often.
    const conn = connections.track(await connectNamed(name, { writeHighWaterMark: 1 }));
    hostile(conn, 'conn', ['close', 'error'], calls);

    const consumed = uniqueName('r11-consumed');
    const cancelled = uniqueName('r11-cancelled');
    const feeder = await startFeeder([consumed]);
    const [chThrows, chRejects, pub, failing] = await Promise.all([conn.channel(), conn.channel(), conn.channel(), conn.channel()]);
    hostile(chThrows, 'chThrows', CHANNEL_EVENTS, calls);
    hostile(chRejects, 'chRejects', CHANNEL_EVENTS, calls);
    hostile(pub, 'pub', CHANNEL_EVENTS, calls);
    hostile(failing, 'failing', CHANNEL_EVENTS, calls);
    await pub.queueDeclare(cancelled, { exclusive: true });

    await chThrows.basicConsume(cancelled, (m) => { bump(calls, 'consumer:throws'); m.ack(); throw new Error('consumer threw'); });
    await chRejects.basicConsume(consumed, async (m) => { bump(calls, 'consumer:rejects'); m.ack(); throw new Error('consumer rejected'); });
    for (let i = 0; i < 5; i++) pub.basicPublish('', cancelled, `m${i}`);
    pub.basicPublish('', uniqueName('nowhere'), 'unroutable', {}, { mandatory: true });
    await until('consumers, return and drain listeners to run', () =>
      (calls.get('consumer:throws') ?? 0) >= 5 && (calls.get('consumer:rejects') ?? 0) >= 5
      && (calls.get('pub:return') ?? 0) >= 2 && (calls.get('pub:drain') ?? 0) >= 2);

    // basic.cancel from the broker: the queue under a consumer is deleted.
    await pub.queueDelete(cancelled);
    await until('cancel listeners to run', () => (calls.get('chThrows:cancel') ?? 0) >= 2);

    // A channel error: 'error' and 'close' listeners of that channel throw.
    const err = await failing.queueDeclare(uniqueName('missing'), { passive: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClosedError);
    await until('channel error listeners to run', () => (calls.get('failing:close') ?? 0) >= 2);

    // None of that cost the connection or the other channels anything.
    expect([chThrows.isOpen, chRejects.isOpen, pub.isOpen]).toEqual([true, true, true]);
    await pub.queueDeclare(uniqueName('still-works'), { exclusive: true });
    expect(calls.get('conn:close')).toBeUndefined();

    // The broker kills the connection while messages keep arriving for the rejecting consumer.
    const before = calls.get('consumer:rejects') ?? 0;
    await until('more deliveries', () => (calls.get('consumer:rejects') ?? 0) > before + 5);
    expect(await closeConnections(name, 'R11 kill mid-consume')).toBe(1);
    await until('connection close listeners to run', () => (calls.get('conn:close') ?? 0) >= 2);
    await feeder.stop();
    await sleep(50);

    const expected = [
      'conn:close', 'conn:error', 'consumer:throws', 'consumer:rejects', 'pub:return', 'pub:drain',
      'chThrows:cancel', 'chThrows:close', 'chRejects:close', 'pub:close', 'failing:error', 'failing:close',
    ];
    console.log(`[R11 hostile] listener calls ${JSON.stringify(Object.fromEntries(calls))}; client warnings ${faults.clientWarnings.length}`);
    expect(expected.filter((label) => (calls.get(label) ?? 0) === 0)).toEqual([]);
    expectNoEscapes(faults);
  }, 30_000);

  for (const kill of ['rabbitmqctl close_connection', 'fault proxy drop'] as const) {
    it(`no 'error' listener anywhere, throwing consumers, a 404, then ${kill} mid-consume: nothing escapes`, async () => {
      faults = recordProcessFaults();
      const name = uniqueName('r11-bare');
      let proxy: FaultProxy | undefined;
      let conn: Connection;
      if (kill === 'fault proxy drop') ({ proxy, conn } = connections.trackProxied(await connectProxied(name)));
      else conn = connections.track(await connectNamed(name));
      const q1 = uniqueName('r11-q1');
      const q2 = uniqueName('r11-q2');
      const q3 = uniqueName('r11-q3');
      const feeder = await startFeeder([q1, q2, q3]);
      const [ch1, ch2, ch3, bad] = await Promise.all([conn.channel(), conn.channel(), conn.channel(), conn.channel()]);
      let thrown = 0;
      let rejected = 0;
      await ch1.basicConsume(q1, () => { thrown++; throw new Error('consumer threw'); }, { noAck: true });
      await ch2.basicConsume(q2, async () => { rejected++; throw new Error('consumer rejected'); }, { noAck: true });
      let iterated = 0;
      const loop = watch('for await loop', (async () => {
        for await (const m of ch3.consume(q3, { prefetch: 50 })) {
          iterated++;
          m.ack();
        }
      })());
      // A channel error nobody listens for.
      await expect(bad.queueDeclare(uniqueName('missing'), { passive: true })).rejects.toBeInstanceOf(ClosedError);
      await until('deliveries on every consumer', () => thrown > 5 && rejected > 5 && iterated > 5);

      if (kill === 'fault proxy drop') proxy!.connections[0]!.drop();
      else expect(await closeConnections(name, 'R11 kill mid-consume')).toBe(1);
      await until('the for-await loop to end', () => loop.outcome !== 'pending');
      await feeder.stop();
      await sleep(50);

      console.log(`[R11 bare, ${kill}] deliveries thrown ${thrown}, rejected ${rejected}, iterated ${iterated}; client warnings ${faults.clientWarnings.length}`);
      expect(loop.outcome).toBe('rejected');
      expect(loop.error).toBeInstanceOf(ClosedError);
      expectNoEscapes(faults);
      // What nobody could be told was reported as a warning, not thrown.
      expect(faults.clientWarnings.length).toBeGreaterThanOrEqual(thrown + rejected);
    }, 30_000);
  }
});
