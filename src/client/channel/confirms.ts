/**
 * Publisher confirms for one channel (RabbitMQ's confirm.select extension).
 *
 * After confirm.select the broker numbers every basic.publish on the channel from 1 and answers
 * each with basic.ack or basic.nack, possibly `multiple` (covering every earlier number). A
 * mandatory message that cannot be routed comes back as basic.return BEFORE its ack, so the ack
 * of a returned message settles as UnroutableError, never as success.
 *
 * basic.return carries no sequence number. It is matched to the earliest outstanding mandatory
 * publish with the same exchange, routing key and body length that was not returned yet: the
 * broker routes a channel's publishes in order, and an earlier publish with the same destination
 * would have met the same (missing) bindings.
 * @packageDocumentation
 */
import { NackError, UnroutableError } from '../errors.js';
import { Fifo } from '../fifo.js';
import type { ReturnFields } from '../message.js';

/** One confirmed publish waiting for its ack. */
export interface PendingConfirm {
  resolve: () => void;
  reject: (err: Error) => void;
  mandatory: boolean;
  exchange: string;
  routingKey: string;
  bodyLength: number;
  returned: ReturnFields | null;
}

interface Waiter {
  upTo: number;
  nacked: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Marks a publish in `pending` that was settled out of order (a single ack behind the front). */
const SETTLED = Symbol('settled');

/** Tracks outstanding confirms; every tracked publish settles exactly once. */
export class ConfirmTracker {
  /** Sequence number the next publish will get. */
  nextSeq = 1;
  /**
   * Publishes from sequence number `firstSeq` to `nextSeq - 1`, in order; null marks a plain
   * (untracked) publish. Sequence numbers are consecutive, so a publish's place is its number
   * minus `firstSeq`, and a `multiple` ack settles from the front: each costs O(1) per publish.
   * The front is never SETTLED.
   */
  private readonly pending = new Fifo<PendingConfirm | null | typeof SETTLED>();
  private firstSeq = 1;
  /** Entries of `pending` not yet settled. */
  private unsettled = 0;
  /** waitForConfirms calls, `upTo` never decreasing from front to back. */
  private readonly waiters = new Fifo<Waiter>();
  private readonly slotWaiters = new Fifo<{ resolve: () => void; reject: (err: Error) => void }>();
  private reserved = 0;
  private failed: Error | null = null;
  /** Nacks since the last waitForConfirms call (AMQP clients report "any nack since last asked"). */
  private nacksSinceWait = 0;

  /** @param maxInFlight bound on confirmed publishes awaiting their ack. */
  constructor(readonly maxInFlight: number) {}

  /** Publishes sent but not yet acked or nacked. */
  get outstanding(): number {
    return this.unsettled;
  }

  /**
   * Number the next publish; `entry` null for a publish nobody awaits (plain basicPublish on a
   * confirm channel: the broker counts it all the same). `reserved` says it holds a place from
   * `acquire`.
   */
  register(entry: PendingConfirm | null, reserved: boolean): number {
    if (reserved) this.reserved--;
    const seq = this.nextSeq++;
    this.pending.push(entry);
    this.unsettled++;
    return seq;
  }

  /** Reserve a place if one is free right now, without queueing; false otherwise. */
  tryAcquire(): boolean {
    if (this.failed || this.slotWaiters.length > 0 || this.unsettled + this.reserved >= this.maxInFlight) return false;
    this.reserved++;
    return true;
  }

  /**
   * Reserve one of `maxInFlight` places for a publish about to be registered. Returns null when a
   * place was free at once, else a promise that resolves once one is reserved. Every reservation
   * ends in `register` or `release`.
   */
  acquire(): Promise<void> | null {
    if (this.failed) return Promise.reject(this.failed);
    if (this.slotWaiters.length === 0 && this.unsettled + this.reserved < this.maxInFlight) {
      this.reserved++;
      return null;
    }
    return new Promise((resolve, reject) => {
      this.slotWaiters.push({ resolve, reject });
    });
  }

  /** Give back a reservation that was not used (the publish failed to encode). */
  release(): void {
    this.reserved--;
    this.wakeSlots();
  }

  private wakeSlots(): void {
    while (this.slotWaiters.length > 0 && this.unsettled + this.reserved < this.maxInFlight) {
      this.reserved++;
      this.slotWaiters.shift()!.resolve();
    }
  }

  /** basic.ack from the broker. */
  onAck(tag: number, multiple: boolean): void {
    this.settle(tag, multiple, true);
  }

  /** basic.nack from the broker. */
  onNack(tag: number, multiple: boolean): void {
    this.settle(tag, multiple, false);
  }

  private settle(tag: number, multiple: boolean, ack: boolean): void {
    if (multiple) {
      while (this.pending.length > 0 && this.firstSeq <= tag) {
        const entry = this.pending.shift()!;
        const seq = this.firstSeq++;
        if (entry === SETTLED) continue;
        this.unsettled--;
        this.settleOne(seq, entry, ack);
      }
    } else {
      const i = tag - this.firstSeq;
      const entry = this.pending.at(i);
      if (entry === undefined || entry === SETTLED) return;
      if (i === 0) {
        this.pending.shift();
        this.firstSeq++;
      } else this.pending.set(i, SETTLED);
      this.unsettled--;
      this.settleOne(tag, entry, ack);
    }
    // Keep the front unsettled: drop publishes settled out of order that are now at the front.
    while (this.pending.peek() === SETTLED) {
      this.pending.shift();
      this.firstSeq++;
    }
    this.wakeWaiters();
  }

  private settleOne(seq: number, entry: PendingConfirm | null, ack: boolean): void {
    if (!ack) {
      // Reported to the waits that cover it; otherwise kept for the next waitForConfirms call.
      let told = false;
      for (const w of this.waiters) {
        if (seq <= w.upTo) {
          w.nacked++;
          told = true;
        }
      }
      if (!told) this.nacksSinceWait++;
    }
    if (entry === null) return;
    if (!ack) entry.reject(new NackError(seq));
    else if (entry.returned) {
      const r = entry.returned;
      entry.reject(new UnroutableError(r.replyCode, r.replyText, r.exchange, r.routingKey));
    } else entry.resolve();
  }

  /** A basic.return arrived: mark the publish it belongs to (see the file comment). */
  onReturn(fields: ReturnFields, bodyLength: number): void {
    for (const entry of this.pending) {
      if (entry !== null && entry !== SETTLED && entry.mandatory && entry.returned === null && entry.exchange === fields.exchange
        && entry.routingKey === fields.routingKey && entry.bodyLength === bodyLength) {
        entry.returned = fields;
        return;
      }
    }
  }

  /** Resolve when everything published so far is confirmed; reject if any of it was nacked. */
  waitForConfirms(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const upTo = this.nextSeq - 1;
    // Nacks that arrived since the previous call count too: a plain publish has no other way to fail.
    const earlier = this.nacksSinceWait;
    this.nacksSinceWait = 0;
    if (this.lowestPending() > upTo) return earlier > 0 ? Promise.reject(new NackError(upTo)) : Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ upTo, nacked: earlier, resolve, reject }));
  }

  private lowestPending(): number {
    return this.pending.length > 0 ? this.firstSeq : Infinity;
  }

  private wakeWaiters(): void {
    if (this.waiters.length > 0) {
      const low = this.lowestPending();
      while (this.waiters.length > 0 && this.waiters.peek()!.upTo < low) {
        const w = this.waiters.shift()!;
        if (w.nacked > 0) w.reject(new NackError(w.upTo));
        else w.resolve();
      }
    }
    this.wakeSlots();
  }

  /** The channel or connection closed: reject every outstanding publish and waiter. */
  failAll(err: Error): void {
    this.failed = err;
    const entries = this.pending.drain();
    this.firstSeq = this.nextSeq;
    this.unsettled = 0;
    for (const e of entries) if (e !== null && e !== SETTLED) e.reject(err);
    for (const w of this.waiters.drain()) w.reject(err);
    for (const s of this.slotWaiters.drain()) s.reject(err);
  }
}
