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

/** Tracks outstanding confirms; every tracked publish settles exactly once. */
export class ConfirmTracker {
  /** Sequence number the next publish will get. */
  nextSeq = 1;
  /** Outstanding publishes by sequence number; null marks a plain (untracked) publish. */
  private readonly pending = new Map<number, PendingConfirm | null>();
  private waiters: Waiter[] = [];
  private slotWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private reserved = 0;
  private failed: Error | null = null;
  /** Nacks since the last waitForConfirms call (AMQP clients report "any nack since last asked"). */
  private nacksSinceWait = 0;

  /** @param maxInFlight bound on confirmed publishes awaiting their ack. */
  constructor(readonly maxInFlight: number) {}

  /** Publishes sent but not yet acked or nacked. */
  get outstanding(): number {
    return this.pending.size;
  }

  /**
   * Number the next publish; `entry` null for a publish nobody awaits (plain basicPublish on a
   * confirm channel: the broker counts it all the same). `reserved` says it holds a place from
   * `acquire`.
   */
  register(entry: PendingConfirm | null, reserved: boolean): number {
    if (reserved) this.reserved--;
    const seq = this.nextSeq++;
    this.pending.set(seq, entry);
    return seq;
  }

  /** Reserve a place if one is free right now, without queueing; false otherwise. */
  tryAcquire(): boolean {
    if (this.failed || this.slotWaiters.length > 0 || this.pending.size + this.reserved >= this.maxInFlight) return false;
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
    if (this.slotWaiters.length === 0 && this.pending.size + this.reserved < this.maxInFlight) {
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
    while (this.slotWaiters.length > 0 && this.pending.size + this.reserved < this.maxInFlight) {
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
      for (const [seq, entry] of this.pending) {
        if (seq > tag) break;
        this.pending.delete(seq);
        this.settleOne(seq, entry, ack);
      }
    } else if (this.pending.has(tag)) {
      const entry = this.pending.get(tag)!;
      this.pending.delete(tag);
      this.settleOne(tag, entry, ack);
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
    for (const entry of this.pending.values()) {
      if (entry !== null && entry.mandatory && entry.returned === null && entry.exchange === fields.exchange
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
    for (const seq of this.pending.keys()) return seq;
    return Infinity;
  }

  private wakeWaiters(): void {
    if (this.waiters.length > 0) {
      const low = this.lowestPending();
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (low <= w.upTo) still.push(w);
        else if (w.nacked > 0) w.reject(new NackError(w.upTo));
        else w.resolve();
      }
      this.waiters = still;
    }
    this.wakeSlots();
  }

  /** The channel or connection closed: reject every outstanding publish and waiter. */
  failAll(err: Error): void {
    this.failed = err;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const e of entries) e?.reject(err);
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
    for (const s of this.slotWaiters) s.reject(err);
    this.slotWaiters = [];
  }
}
