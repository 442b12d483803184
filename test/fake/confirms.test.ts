/**
 * R16: publisher confirms under random broker behaviour. The fake numbers publishes as a broker
 * does, returns unroutable mandatory messages (in publish order, each before its ack), and settles
 * them with random single/multiple acks and nacks, sometimes closing the channel half way. Every
 * publishConfirmed must settle exactly once with the outcome the broker's frames imply.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/client/channel/channel.js';
import type { Connection } from '../../src/index.js';
import { ChannelClosedError, ConnectionClosedError, NackError, UnroutableError } from '../../src/client/errors.js';
import { FakeBroker, type FakePeer } from '../support/fake-broker.js';
import { track, type Tracked } from '../support/fake-broker-pending.js';

interface PublishSpec { confirmed: boolean; mandatory: boolean; key: string; bodyLen: number }
interface OpSpec { read: number; pick: number; nack: boolean; multiple: boolean }
interface Scenario { publishes: PublishSpec[]; chunks: number; ops: OpSpec[]; closeAfter: number | null }
/** How the broker settled one sequence number, and whether it returned it first. */
interface Fate { by: 'ack' | 'nack' | 'close'; returned: boolean }

/** Keys starting with `none` have no binding: a mandatory publish to them comes back. */
const KEYS = ['ok-a', 'ok-b', 'none-a', 'none-b'] as const;
const unroutable = (p: PublishSpec): boolean => p.mandatory && p.key.startsWith('none');

const arbScenario: fc.Arbitrary<Scenario> = fc.record({
  publishes: fc.array(fc.record({
    confirmed: fc.integer({ min: 0, max: 9 }).map((x) => x > 0),
    mandatory: fc.boolean(),
    key: fc.constantFrom(...KEYS),
    bodyLen: fc.integer({ min: 0, max: 12 }),
  }), { minLength: 50, maxLength: 200 }),
  chunks: fc.integer({ min: 1, max: 5 }),
  ops: fc.array(fc.record({
    read: fc.integer({ min: 0, max: 20 }),
    pick: fc.nat(),
    nack: fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
    multiple: fc.boolean(),
  }), { maxLength: 150 }),
  closeAfter: fc.option(fc.nat({ max: 60 }), { freq: 3 }),
});

/** The broker half of one run; resolves with the fate of every sequence number 1..n. */
async function brokerSide(peer: FakePeer, channel: number, sc: Scenario): Promise<Map<number, Fate>> {
  const n = sc.publishes.length;
  const fate = new Map<number, Fate>();
  const returned = new Set<number>();
  let outstanding: number[] = [];
  let received = 0;
  let nextReturn = 1;
  const readTo = async (k: number): Promise<void> => {
    while (received < Math.min(n, k)) {
      const m = await peer.expect('basic.publish', { channel });
      received++;
      if (m.seq !== received) throw new Error(`publish ${received} arrived with seq ${m.seq}`);
      outstanding.push(received);
    }
  };
  // A broker routes in order and returns before it confirms: return every unroutable mandatory
  // publish up to `seq` that has not been returned yet.
  const returnUpTo = (seq: number): void => {
    for (; nextReturn <= seq; nextReturn++) {
      const p = sc.publishes[nextReturn - 1]!;
      if (!unroutable(p)) continue;
      peer.send(channel, 'basic.return', { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: p.key });
      peer.sendContent(channel, Buffer.alloc(p.bodyLen, 0x78));
      returned.add(nextReturn);
    }
  };
  const settle = (target: number, multiple: boolean, by: 'ack' | 'nack'): void => {
    returnUpTo(target);
    if (by === 'ack') peer.send(channel, 'basic.ack', { deliveryTag: target, multiple });
    else peer.send(channel, 'basic.nack', { deliveryTag: target, multiple, requeue: false });
    const covered = multiple ? outstanding.filter((s) => s <= target) : [target];
    for (const s of covered) fate.set(s, { by, returned: returned.has(s) });
    outstanding = outstanding.filter((s) => !covered.includes(s));
  };
  let executed = 0;
  for (const op of sc.ops) {
    if (executed === sc.closeAfter) break;
    await readTo(received + op.read);
    if (outstanding.length === 0) {
      if (received === n) break;
      await readTo(received + 1);
    }
    settle(outstanding[op.pick % outstanding.length]!, op.multiple, op.nack ? 'nack' : 'ack');
    executed++;
  }
  if (sc.closeAfter !== null) {
    peer.send(channel, 'channel.close', { replyCode: 406, replyText: 'PRECONDITION_FAILED - closed by the test', classId: 0, methodId: 0 });
    await peer.waitFor('channel.close-ok', { channel });
    for (let s = 1; s <= n; s++) if (!fate.has(s)) fate.set(s, { by: 'close', returned: returned.has(s) });
  } else {
    await readTo(n);
    if (outstanding.length > 0) settle(outstanding.at(-1)!, true, 'ack');
  }
  return fate;
}

/** The client half: publish in chunks with a turn of the event loop between them. */
async function clientSide(ch: Channel, sc: Scenario): Promise<{ tracked: Array<Tracked | null>; waitFirst: Tracked; firstChunk: number }> {
  const n = sc.publishes.length;
  const size = Math.ceil(n / sc.chunks);
  const tracked: Array<Tracked | null> = [];
  let waitFirst: Tracked | undefined;
  for (let start = 0; start < n; start += size) {
    for (let i = start; i < Math.min(n, start + size); i++) {
      const p = sc.publishes[i]!;
      const body = Buffer.alloc(p.bodyLen, 0x78);
      if (p.confirmed) {
        tracked.push(track(`publish ${i + 1}`, ch.publishConfirmed('', p.key, body, undefined, { mandatory: p.mandatory })));
        continue;
      }
      try {
        ch.basicPublish('', p.key, body, undefined, { mandatory: p.mandatory });
      } catch (e) {
        if (!(e instanceof ChannelClosedError)) throw e;
      }
      tracked.push(null);
    }
    waitFirst ??= track('waitForConfirms after the first chunk', ch.waitForConfirms());
    await new Promise((r) => setImmediate(r));
  }
  return { tracked, waitFirst: waitFirst!, firstChunk: Math.min(n, size) };
}

/** What publish `seq` must have settled with, as a comparable description. */
function expectedOutcome(seq: number, f: Fate, p: PublishSpec): string {
  if (f.by === 'close') return 'ChannelClosedError 406';
  if (f.by === 'nack') return `NackError ${seq}`;
  return f.returned ? `UnroutableError 312 ${p.key}` : 'fulfilled';
}

function actualOutcome(t: Tracked): string {
  if (t.status !== 'rejected') return t.status;
  const e = t.error;
  if (e instanceof NackError) return `NackError ${e.deliveryTag}`;
  if (e instanceof UnroutableError) return `UnroutableError ${e.replyCode} ${e.routingKey}`;
  if (e instanceof ChannelClosedError) return `ChannelClosedError ${e.replyCode}`;
  return `other: ${String(e)}`;
}

let fb: FakeBroker;
let conn: Connection;
let peer: FakePeer;

/** The fake's script: handshake, then answer channel.open, channel.close and confirm.select. */
async function confirmingBroker(p: FakePeer): Promise<void> {
  await p.handshake();
  p.autoReply(['channel.open', 'channel.close', 'confirm.select']);
}

beforeAll(async () => {
  fb = await FakeBroker.start(confirmingBroker);
  conn = await fb.connect();
  peer = await fb.peer();
  await fb.finished();
});

afterAll(async () => {
  await conn.close();
  await fb.close();
});

/**
 * Runs `body` against a fake broker of its own, with a client whose `maxConfirmsInFlight` is
 * `limit` and a channel in confirm mode; the fake is closed afterwards.
 */
async function withConfirmLimit(limit: number, body: (c: Connection, p: FakePeer, ch: Channel) => Promise<void>): Promise<void> {
  const local = await FakeBroker.start(confirmingBroker);
  try {
    const c = await local.connect({ maxConfirmsInFlight: limit });
    const p = await local.peer();
    const ch = await c.channel();
    await ch.confirmSelect();
    await body(c, p, ch);
  } finally {
    await local.close();
  }
}

async function confirmChannel(): Promise<Channel> {
  peer.drain();
  const ch = await conn.channel();
  ch.on('error', () => undefined);
  ch.on('return', () => undefined);
  await ch.confirmSelect();
  return ch;
}

describe('R16: random acks, nacks, returns and closes', () => {
  it('every publishConfirmed settles exactly once with the outcome the broker sent (100 runs, 50-200 publishes each)', async () => {
    await fc.assert(fc.asyncProperty(arbScenario, async (sc) => {
      const ch = await confirmChannel();
      const broker = brokerSide(peer, ch.id, sc);
      const { tracked, waitFirst, firstChunk } = await clientSide(ch, sc);
      const fate = await broker;
      const pending = [...tracked.filter((t): t is Tracked => t !== null), waitFirst];
      await Promise.race([Promise.all(pending.map((t) => t.settled)), new Promise((r) => setTimeout(r, 1000))]);
      const wrong: string[] = [];
      tracked.forEach((t, i) => {
        if (t === null) return;
        const want = expectedOutcome(i + 1, fate.get(i + 1)!, sc.publishes[i]!);
        const got = actualOutcome(t);
        if (want !== got) wrong.push(`publish ${i + 1}: expected ${want}, got ${got}`);
      });
      const firstFates = [...Array(firstChunk).keys()].map((i) => fate.get(i + 1)!);
      const wantWait = firstFates.some((f) => f.by === 'close') ? 'ChannelClosedError 406'
        : firstFates.some((f) => f.by === 'nack') ? `NackError ${firstChunk}` : 'fulfilled';
      if (actualOutcome(waitFirst) !== wantWait) wrong.push(`waitForConfirms: expected ${wantWait}, got ${actualOutcome(waitFirst)}`);
      expect(wrong).toEqual([]);
      if (sc.closeAfter === null) await ch.close();
      else await expect(ch.waitForConfirms()).rejects.toBeInstanceOf(ChannelClosedError);
    }), { numRuns: 100 });
  }, 30_000);
});

describe('confirm bookkeeping', () => {
  it('waitForConfirms rejects when a publish since the previous wait was nacked, even if the nack came before the call', async () => {
    const ch = await confirmChannel();
    for (let i = 0; i < 3; i++) ch.basicPublish('', 'k', `m${i}`);
    for (let i = 1; i <= 3; i++) expect((await peer.expect('basic.publish', { channel: ch.id })).seq).toBe(i);
    peer.send(ch.id, 'basic.nack', { deliveryTag: 2, multiple: false, requeue: false });
    peer.send(ch.id, 'basic.ack', { deliveryTag: 1, multiple: false });
    await peer.sleep(20);
    const wait = track('waitForConfirms', ch.waitForConfirms());
    peer.send(ch.id, 'basic.ack', { deliveryTag: 3, multiple: false });
    await wait.settled;
    expect(wait.error).toBeInstanceOf(NackError);
    await ch.close();
  });

  it('a basic.return for a plain mandatory publish is not charged to a later confirmed one', async () => {
    // The binding appears between the two publishes (say, declared from another connection):
    // the first comes back, the second is routed.
    const ch = await confirmChannel();
    ch.basicPublish('', 'jobs', 'same', undefined, { mandatory: true });
    const second = track('second', ch.publishConfirmed('', 'jobs', 'same', undefined, { mandatory: true }));
    await peer.expect('basic.publish', { channel: ch.id });
    await peer.expect('basic.publish', { channel: ch.id });
    peer.batch(() => {
      peer.send(ch.id, 'basic.return', { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: 'jobs' });
      peer.sendContent(ch.id, 'same');
      peer.send(ch.id, 'basic.ack', { deliveryTag: 1, multiple: false });
      peer.send(ch.id, 'basic.ack', { deliveryTag: 2, multiple: false });
    });
    await second.settled;
    expect(actualOutcome(second)).toBe('fulfilled');
    await ch.close();
  });

  it('at most maxConfirmsInFlight confirmed publishes are written before acks free places', () => withConfirmLimit(2, async (c, p, ch) => {
    const pubs = [1, 2, 3, 4, 5].map((i) => track(`publish ${i}`, ch.publishConfirmed('', 'k', `m${i}`)));
    await p.expect('basic.publish');
    await p.expect('basic.publish');
    await p.expectNothing(50);
    p.send(ch.id, 'basic.ack', { deliveryTag: 1, multiple: false });
    expect((await p.expect('basic.publish')).seq).toBe(3);
    await p.expectNothing(30);
    p.send(ch.id, 'basic.ack', { deliveryTag: 3, multiple: true });
    expect((await p.expect('basic.publish')).seq).toBe(4);
    expect((await p.expect('basic.publish')).seq).toBe(5);
    p.send(ch.id, 'channel.close', { replyCode: 406, replyText: 'PRECONDITION_FAILED', classId: 0, methodId: 0 });
    ch.on('error', () => undefined);
    await Promise.all(pubs.map((t) => t.settled));
    expect(pubs.map(actualOutcome)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'ChannelClosedError 406', 'ChannelClosedError 406']);
    await c.close();
  }));

  it('a publish waiting for a place rejects when the channel closes', () => withConfirmLimit(1, async (c, p, ch) => {
    const first = track('first', ch.publishConfirmed('', 'k', 'a'));
    const waiting = track('waiting', ch.publishConfirmed('', 'k', 'b'));
    await p.expect('basic.publish');
    await ch.close();
    await Promise.all([first.settled, waiting.settled]);
    expect(first.error).toBeInstanceOf(ChannelClosedError);
    expect(waiting.error).toBeInstanceOf(ChannelClosedError);
    await p.expectNothing(30);
    await c.close();
  }));

  it('closing the channel rejects every outstanding confirm and waitForConfirms with ChannelClosedError', async () => {
    const ch = await confirmChannel();
    const pubs = [1, 2, 3].map((i) => track(`publish ${i}`, ch.publishConfirmed('', 'k', `m${i}`)));
    const wait = track('waitForConfirms', ch.waitForConfirms());
    await peer.expect('basic.publish', { channel: ch.id });
    peer.send(ch.id, 'basic.ack', { deliveryTag: 1, multiple: false });
    await pubs[0]!.settled;
    await ch.close();
    await Promise.all([...pubs, wait].map((t) => t.settled));
    expect(pubs.map(actualOutcome)).toEqual(['fulfilled', 'ChannelClosedError 200', 'ChannelClosedError 200']);
    expect(wait.error).toBeInstanceOf(ChannelClosedError);
    expect(wait.error).toMatchObject({ by: 'client' });
  });

  it('publishConfirmed selects confirm mode itself; numbering starts at 1 after confirm.select', async () => {
    peer.drain();
    const ch = await conn.channel();
    ch.basicPublish('', 'k', 'before confirm mode');
    const pub = track('publish', ch.publishConfirmed('', 'k', 'first confirmed'));
    await peer.expect('basic.publish', { channel: ch.id });
    await peer.seen('confirm.select', { channel: ch.id });
    const m = await peer.expect('basic.publish', { channel: ch.id });
    expect(m.seq).toBe(1);
    peer.send(ch.id, 'basic.ack', { deliveryTag: 1, multiple: false });
    await pub.settled;
    expect(pub.status).toBe('fulfilled');
    await ch.close();
  });
});

describe('confirms and the connection', () => {
  it('a server connection.close rejects outstanding confirms with ConnectionClosedError 320', async () => {
    const local = await FakeBroker.start(async (p) => {
      await p.handshake({ answerClose: false });
      p.autoReply(['channel.open', 'confirm.select']);
    });
    try {
      const c = await local.connect();
      c.on('error', () => undefined);
      const p = await local.peer();
      const ch = await c.channel();
      const pubs = [1, 2].map((i) => track(`publish ${i}`, ch.publishConfirmed('', 'k', `m${i}`)));
      await p.expect('basic.publish');
      await p.expect('basic.publish');
      p.send(0, 'connection.close', { replyCode: 320, replyText: 'CONNECTION_FORCED - broker forced connection closure', classId: 0, methodId: 0 });
      await p.expect('connection.close-ok');
      await Promise.all(pubs.map((t) => t.settled));
      for (const t of pubs) {
        expect(t.error).toBeInstanceOf(ConnectionClosedError);
        expect(t.error).toMatchObject({ replyCode: 320, by: 'server' });
      }
    } finally {
      await local.close();
    }
  });
});
