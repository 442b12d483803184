/**
 * Pending client operations for "everything settles" tests: a set of calls left waiting on a
 * fake broker that will never answer them, each tracked with the time it settled.
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import type { Channel } from '../../src/client/channel/channel.js';
import type { Connection } from '../../src/index.js';
import type { FakePeer } from './fake-broker-peer.js';

/** A promise with its outcome and settle time recorded. */
export interface Tracked<T = unknown> {
  readonly label: string;
  status: 'pending' | 'fulfilled' | 'rejected';
  value: T | undefined;
  error: unknown;
  /** `performance.now()` when it settled. */
  at: number;
  /** Resolves (never rejects) once the promise has settled. */
  readonly settled: Promise<void>;
}

/** Track `p` without leaving its rejection unhandled. */
export function track<T>(label: string, p: Promise<T>): Tracked<T> {
  const t: Tracked<T> = {
    label, status: 'pending', value: undefined, error: undefined, at: Number.NaN, settled: Promise.resolve(),
  };
  (t as { settled: Promise<void> }).settled = p.then(
    (v) => { t.status = 'fulfilled'; t.value = v; t.at = performance.now(); },
    (e: unknown) => { t.status = 'rejected'; t.error = e; t.at = performance.now(); },
  );
  return t;
}

/** The operations `leavePending` leaves waiting. */
export interface PendingOps {
  channel: Channel;
  other: Channel;
  /** queue.declare sent on `channel`, never answered. */
  declare: Tracked;
  /** publishConfirmed on `channel`, never acked. */
  publish: Tracked;
  /** `next()` of a consume iterator on `channel` with no delivery coming. */
  iterate: Tracked;
  /** basic.get on `other`, never answered. */
  get: Tracked;
  all: Tracked[];
}

/**
 * Open two channels and leave four operations waiting: a queue.declare, a confirmed publish and
 * a consume iterator on the first, a basic.get on the second. Returns once the fake has seen the
 * requests, so every one of them is waiting for the broker.
 */
export async function leavePending(conn: Connection, peer: FakePeer): Promise<PendingOps> {
  peer.autoReply(['channel.open', 'confirm.select', 'basic.consume']);
  const channel = await conn.channel();
  const other = await conn.channel();
  await channel.confirmSelect();
  const iterator = channel.consume('pending-consume');
  const iterate = track('consume iterator next()', iterator.next());
  const publish = track('publishConfirmed', channel.publishConfirmed('', 'pending-publish', 'body'));
  const declare = track('queue.declare', channel.queueDeclare('pending-declare'));
  const get = track('basic.get', other.basicGet('pending-get'));
  await peer.expect('basic.publish', { channel: channel.id });
  await peer.expect('basic.get', { channel: other.id });
  await peer.expect('queue.declare', { channel: channel.id });
  const all = [declare, publish, iterate, get];
  for (const t of all) if (t.status !== 'pending') throw new Error(`${t.label} settled before the fault: ${String(t.error ?? t.value)}`);
  return { channel, other, declare, publish, iterate, get, all };
}

/**
 * Wait (at most `within` ms after `since`, plus a little slack to observe it) for every tracked
 * operation to settle, and return those that did not reject in time.
 */
export async function lateOrResolved(ops: readonly Tracked[], since: number, within: number): Promise<string[]> {
  const deadline = since + within + 50;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(ops.map((o) => o.settled)),
    new Promise((r) => {
      timer = setTimeout(r, Math.max(0, deadline - performance.now()));
    }),
  ]);
  clearTimeout(timer); // when everything settled first: no timer outlives the check
  return ops
    .filter((o) => o.status !== 'rejected' || o.at - since > within)
    .map((o) => `${o.label}: ${o.status}${o.status === 'rejected' ? ` after ${Math.round(o.at - since)} ms` : ''}`);
}
