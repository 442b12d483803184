/**
 * R21 (unacked deliveries come back after the connection dies) and R28 (a slow consumer never
 * holds more unacked deliveries than its prefetch).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionClosedError, type Channel, type Connection, type Message } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { closeConnections } from '../support/rabbitmqctl.js';
import { connectNamed, connectProxied, sleep, uniqueName, until, within } from './reliability-support.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());

/** A tracked connection named `what` (made unique). */
async function open(what: string): Promise<Connection> {
  return connections.track(await connectNamed(uniqueName(what)));
}

/** Declares a queue (left for the caller to delete) and fills it with `count` confirmed messages `0..count-1`. */
async function filledQueue(ch: Channel, count: number): Promise<string> {
  const queue = uniqueName('q');
  await ch.queueDeclare(queue, { autoDelete: false });
  await Promise.all(Array.from({ length: count }, (_, i) => ch.publishConfirmed('', queue, String(i))));
  return queue;
}

const R21_COUNT = 1000;

describe('R21: delivered-but-unacked messages after the connection is killed', () => {
  for (const kill of ['rabbitmqctl close_connection', 'proxy drop (TCP reset)'] as const) {
    it(`${kill}: a new connection receives all ${R21_COUNT} again with redelivered=true`, async () => {
      const admin = await (await open('r21-admin')).channel();
      const queue = await filledQueue(admin, R21_COUNT);
      try {
        const name = uniqueName('r21-victim');
        let proxy: FaultProxy | undefined;
        let victim: Connection;
        if (kill === 'proxy drop (TCP reset)') ({ proxy, conn: victim } = connections.trackProxied(await connectProxied(name)));
        else victim = connections.track(await connectNamed(name));
        const closed = new Promise<unknown>((done) => victim.once('close', done));
        const ch = await victim.channel();
        // prefetch 1000 on one path, none at all (0, unlimited) on the other.
        if (kill === 'rabbitmqctl close_connection') await ch.basicQos(R21_COUNT);
        const first: Message[] = [];
        await ch.basicConsume(queue, (m) => { first.push(m); });
        await until(`${R21_COUNT} deliveries`, () => first.length === R21_COUNT, 10_000);
        expect(first.filter((m) => m.fields.redelivered)).toHaveLength(0);

        if (kill === 'proxy drop (TCP reset)') proxy!.connections[0]!.drop();
        else expect(await closeConnections(name, 'R21 kill')).toBe(1);
        expect(await closed).toBeInstanceOf(ConnectionClosedError);
        // Acking a delivery of the dead connection is refused locally, not sent.
        expect(() => first[0]!.ack()).toThrow();

        const again = await (await open('r21-again')).channel();
        await again.basicQos(R21_COUNT);
        const second: Message[] = [];
        await again.basicConsume(queue, (m) => { second.push(m); });
        await until(`${R21_COUNT} redeliveries`, () => second.length === R21_COUNT, 10_000);
        const notRedelivered = second.filter((m) => !m.fields.redelivered).length;
        const bodies = new Set(second.map((m) => m.text()));
        console.log(`[R21 ${kill}] redelivered ${second.length - notRedelivered}/${R21_COUNT}, distinct bodies ${bodies.size}`);
        expect(notRedelivered).toBe(0);
        expect(bodies).toEqual(new Set(Array.from({ length: R21_COUNT }, (_, i) => String(i))));
        second.at(-1)!.ack(true);
        await again.close();
        expect((await admin.queueDeclare(queue, { passive: true })).messageCount).toBe(0);
      } finally {
        await admin.queueDelete(queue);
      }
    }, 30_000);
  }
});

const PREFETCH = 10;
const R28_COUNT = 100;

describe('R28: a slow consumer holds at most prefetch unacked deliveries', () => {
  it(`callback consumer, prefetch ${PREFETCH}: deliveries seen minus acks never exceed ${PREFETCH}`, async () => {
    const conn = await open('r28-callback');
    const ch = await conn.channel();
    const queue = await filledQueue(ch, R28_COUNT);
    try {
      await ch.basicQos(PREFETCH);
      const held: Message[] = [];
      let seen = 0;
      let acked = 0;
      let maxHeld = 0;
      await ch.basicConsume(queue, (m) => {
        seen++;
        held.push(m);
        maxHeld = Math.max(maxHeld, seen - acked);
      });
      // Never ack for a while: exactly `prefetch` arrive, no more.
      await sleep(500);
      expect(seen).toBe(PREFETCH);
      // Then ack slowly, one at a time, oldest first.
      while (acked < R28_COUNT) {
        await until('a delivery to ack', () => held.length > 0);
        held.shift()!.ack();
        acked++;
        await sleep(2);
      }
      console.log(`[R28 callback] max unacked held ${maxHeld} (prefetch ${PREFETCH}), seen ${seen}`);
      expect(maxHeld).toBeLessThanOrEqual(PREFETCH);
      expect(maxHeld).toBe(PREFETCH);
      expect(seen).toBe(R28_COUNT);
    } finally {
      await ch.queueDelete(queue);
    }
    await conn.close();
    await expectNoLeakedHandles();
  });

  it(`iterator consumer, prefetch ${PREFETCH}: without acks the loop gets exactly ${PREFETCH}, then one per ack`, async () => {
    const conn = await open('r28-iterator');
    const setup = await conn.channel();
    const queue = await filledQueue(setup, R28_COUNT);
    try {
      const ch = await conn.channel();
      const it = ch.consume(queue, { prefetch: PREFETCH });
      const held: Message[] = [];
      let received = 0;
      let maxHeld = 0;
      const take = async (): Promise<boolean> => {
        const r = await within(it.next(), 500);
        if (r === undefined) return false;
        expect(r.done).toBe(false);
        held.push(r.value as Message);
        received++;
        maxHeld = Math.max(maxHeld, held.length);
        return true;
      };
      // Take without acking: the (prefetch+1)th next() has nothing to give.
      for (let i = 0; i < PREFETCH; i++) expect(await take()).toBe(true);
      const stalled = it.next();
      expect(await within(stalled, 500)).toBeUndefined();
      // One ack lets exactly one more in.
      held.shift()!.ack();
      const one = await within(stalled, 2000);
      expect(one?.done).toBe(false);
      held.push(one!.value as Message);
      received++;
      const stalledAgain = it.next();
      expect(await within(stalledAgain, 500)).toBeUndefined();
      // Now ack as we go, a few at a time, and check the bound on every step.
      let pendingNext: Promise<IteratorResult<Message>> | null = stalledAgain;
      while (received < R28_COUNT) {
        const batch = held.splice(0, 3);
        for (const m of batch) m.ack();
        const r = await within(pendingNext!, 2000);
        expect(r?.done).toBe(false);
        held.push(r!.value as Message);
        received++;
        maxHeld = Math.max(maxHeld, held.length);
        expect(held.length).toBeLessThanOrEqual(PREFETCH);
        pendingNext = received < R28_COUNT ? it.next() : null;
      }
      for (const m of held.splice(0)) m.ack();
      console.log(`[R28 iterator] max unacked held ${maxHeld} (prefetch ${PREFETCH}), received ${received}`);
      expect(maxHeld).toBeLessThanOrEqual(PREFETCH);
      await it.return();
      expect((await setup.queueDeclare(queue, { passive: true })).messageCount).toBe(0);
    } finally {
      await setup.queueDelete(queue);
    }
    await conn.close();
    await expectNoLeakedHandles();
  });
});
