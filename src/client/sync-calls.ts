/**
 * One synchronous method in flight per channel, the rest waiting FIFO (spec 4.2.2: a peer may
 * only expect replies in order). Each call has a timeout and may carry an AbortSignal.
 *
 * A call that times out or is aborted after it was sent leaves its reply on the way. Matching that
 * late reply to the next request would answer the wrong call, so the owner closes the channel
 * (`onStuck`). A call aborted before it was sent is simply dropped from the queue.
 * @packageDocumentation
 */
import { TimeoutError } from './errors.js';
import { Fifo } from './fifo.js';

/** A queued synchronous request. */
export interface SyncCall {
  /** `queue.declare`, ... for errors. */
  readonly operation: string;
  /** Method keys that complete it. */
  readonly replies: readonly number[];
  /** Writes the request; throws (EncodeError) to fail just this call. */
  readonly send: () => void;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Whatever the reply handler needs to know about the request (basic.get: noAck). */
  context?: unknown;
  /**
   * Runs synchronously when the reply is matched, before the promise settles: state that the
   * very next frame in the same read depends on (a consumer for the first delivery) goes here.
   */
  onReply?: (value: unknown) => void;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
}

/** The channel side of the queue. */
export interface SyncCallsHost {
  /**
   * A sent call timed out or was aborted and its reply may still come. Return true to go on with
   * the next call (the stale reply is then recognised and dropped); false when the owner closes
   * instead (a channel: its replies are not all distinguishable).
   */
  onStuck(call: SyncCall, err: Error): boolean;
}

/** The FIFO of synchronous calls of one channel. */
export class SyncCalls {
  private readonly queue = new Fifo<SyncCall>();
  /** Queued calls that timed out or were aborted before they were sent; skipped when reached. */
  private readonly dropped = new Set<SyncCall>();
  private inFlight: SyncCall | null = null;
  private failed: Error | null = null;
  /** Reply keys of abandoned calls whose replies are still due, oldest first. */
  private readonly stale = new Fifo<readonly number[]>();

  constructor(private readonly host: SyncCallsHost) {}

  /** The call waiting for its reply, if any. */
  get current(): SyncCall | null {
    return this.inFlight;
  }

  /** Queue a call; it is sent when every earlier one has its reply. */
  enqueue(call: SyncCall): void {
    if (this.failed) return call.reject(this.failed);
    const signal = call.signal;
    if (signal?.aborted) return call.reject(signal.reason as Error);
    if (signal) {
      call.onAbort = () => this.abort(call, signal.reason as Error);
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    // The timeout covers the wait in the queue too.
    if (call.timeoutMs > 0) {
      call.timer = setTimeout(() => this.timedOut(call), call.timeoutMs);
    }
    this.queue.push(call);
    if (this.inFlight === null) this.sendNext();
  }

  private timedOut(call: SyncCall): void {
    const err = new TimeoutError(call.operation, call.timeoutMs);
    if (call === this.inFlight) return this.stuck(call, err);
    this.drop(call, err);
  }

  private sendNext(): void {
    while (this.inFlight === null && this.queue.length > 0) {
      const call = this.queue.shift()!;
      if (this.dropped.delete(call)) continue;
      try {
        call.send();
      } catch (e) {
        this.finish(call);
        call.reject(e as Error);
        continue;
      }
      this.inFlight = call;
    }
  }

  /** A method arrived; if it answers the call in flight, complete that call and return true. */
  reply(key: number, value: unknown): boolean {
    if (this.stale.length > 0 && this.stale.peek()!.includes(key)) {
      this.stale.shift();
      return true;
    }
    const call = this.inFlight;
    if (call === null || !call.replies.includes(key)) return false;
    this.inFlight = null;
    this.finish(call);
    try {
      call.onReply?.(value);
      call.resolve(value);
    } catch (e) {
      call.reject(e as Error);
    }
    this.sendNext();
    return true;
  }

  private abort(call: SyncCall, err: Error): void {
    if (call === this.inFlight) return this.stuck(call, err);
    this.drop(call, err);
  }

  /** Take a call that was never sent out of the queue. */
  private drop(call: SyncCall, err: Error): void {
    if (call === this.inFlight || this.dropped.has(call) || this.failed) return;
    this.dropped.add(call);
    this.finish(call);
    call.reject(err);
  }

  private stuck(call: SyncCall, err: Error): void {
    if (call !== this.inFlight) return;
    this.finish(call);
    call.reject(err);
    if (this.host.onStuck(call, err)) {
      this.stale.push(call.replies);
      this.inFlight = null;
      this.sendNext();
    }
  }

  private finish(call: SyncCall): void {
    if (call.timer) clearTimeout(call.timer);
    if (call.onAbort) call.signal?.removeEventListener('abort', call.onAbort);
  }

  /** Reject the call in flight and everything queued; later calls reject at once. */
  failAll(err: Error): void {
    this.failed = err;
    const queued = this.queue.drain().filter((c) => !this.dropped.has(c));
    const calls = this.inFlight ? [this.inFlight, ...queued] : queued;
    this.inFlight = null;
    this.dropped.clear();
    for (const c of calls) {
      this.finish(c);
      c.reject(err);
    }
  }
}
