/**
 * The life of a channel: opening -> open -> closing -> closed, the close handshake in both
 * directions, and the one teardown that settles everything pending. The connection goes through
 * the same four stages (its "opening" is the handshake).
 *
 * channel.close is answered by channel.close-ok; in between, the side that sent close ignores
 * everything but close and close-ok (spec 1.5.2.5). Without close-ok the channel id stays taken,
 * so a late close-ok cannot close a channel that reused the number.
 * @packageDocumentation
 */
import { ReplyCode } from '../../frames/constants.js';
import type { DecodedArgs } from '../../methods/types.js';
import { ChannelClosedError, ClosedError, UsageError, type ClosedBy } from '../errors.js';

/** The stages of a channel (and, in shape, of a connection). */
export type LifecycleState = 'opening' | 'open' | 'closing' | 'closed';

type CloseArgs = DecodedArgs<'channel.close'>;

/** What the lifecycle drives in the rest of the channel. */
export interface LifecycleOwner {
  readonly id: number;
  readonly closeTimeout: number;
  /** Write channel.close or channel.close-ok (may throw when the connection is gone). */
  sendClose(args: CloseArgs): void;
  sendCloseOk(): void;
  /** Reject every pending operation and end every consumer with `err`. */
  teardown(err: ClosedError): void;
  /** close-ok arrived: the id may be handed out again. */
  release(): void;
  /** The channel is closed: emit its events (`err` is set when it did not close cleanly). */
  closed(err: ClosedError | undefined, byServer: boolean): void;
}

const closeError = (args: CloseArgs, by: ClosedBy): ChannelClosedError => new ChannelClosedError({ ...args, by });

/** The state machine of one channel's life. */
export class ChannelLifecycle {
  private state: LifecycleState = 'opening';
  /** Why the channel ended: its own ChannelClosedError, or the connection's ConnectionClosedError. */
  private error: ClosedError | null = null;
  private closing: Promise<void> | null = null;
  private closeTimer: NodeJS.Timeout | undefined;
  private resolveClosed: (() => void) | null = null;

  constructor(private readonly owner: LifecycleOwner) {}

  /** The current stage. */
  get current(): LifecycleState {
    return this.state;
  }

  /** After channel.close, sent or received, only close and close-ok count (spec 1.5.2.5). */
  get onlyCloseCounts(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /** Why the channel closed (null while it is open). */
  get reason(): ClosedError | null {
    return this.error;
  }

  /** channel.open-ok arrived. */
  opened(): void {
    if (this.state === 'opening') this.state = 'open';
  }

  /** Throw the close error if the channel cannot be used. */
  assertOpen(): void {
    if (this.state === 'open') return;
    if (this.error) throw this.error;
    throw new UsageError(`channel ${this.owner.id} is ${this.state}`);
  }

  /**
   * Close from our side: channel.close, then wait for close-ok (at most closeTimeout). Calling it
   * again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === 'closed') return Promise.resolve();
    const err = closeError({ replyCode: ReplyCode.REPLY_SUCCESS, replyText: 'channel closed by client', classId: 0, methodId: 0 }, 'client');
    this.closing = this.startClose(err, 'Goodbye');
    return this.closing;
  }

  /**
   * A sent call timed out or was aborted: close the channel so its late reply cannot answer a
   * later call. Returns the close error, or null when the channel is already on its way out.
   */
  abandon(operation: string, why: Error): ChannelClosedError | null {
    if (this.state !== 'open' && this.state !== 'opening') return null;
    const err = closeError({ replyCode: ReplyCode.REPLY_SUCCESS, replyText: `closed because ${operation} did not complete: ${why.message}`, classId: 0, methodId: 0 }, 'client');
    this.closing = this.startClose(err, 'request timed out');
    return err;
  }

  private startClose(err: ChannelClosedError, replyText: string): Promise<void> {
    this.state = 'closing';
    const done = new Promise<void>((resolve) => (this.resolveClosed = resolve));
    try {
      this.owner.sendClose({ replyCode: ReplyCode.REPLY_SUCCESS, replyText, classId: 0, methodId: 0 });
    } catch {
      // The connection is gone; the teardown below settles everything.
    }
    this.teardown(err);
    if (this.owner.closeTimeout > 0) {
      this.closeTimer = setTimeout(() => this.finish(false), this.owner.closeTimeout);
      this.closeTimer.unref();
    }
    return done;
  }

  /** channel.close from the broker. */
  onClose(args: CloseArgs): void {
    this.owner.sendCloseOk();
    if (this.state === 'closing') {
      // Both sides closed at once: close-ok answers theirs, ours still waits for its close-ok.
      // The broker's reason is the better one to report, unless it is a plain 200.
      if (this.error?.by === 'client' && args.replyCode !== ReplyCode.REPLY_SUCCESS) this.error = closeError(args, 'server');
      return;
    }
    this.state = 'closing';
    this.teardown(closeError(args, 'server'));
    this.finish(true);
  }

  /** channel.close-ok: our close is complete. */
  onCloseOk(): void {
    if (this.state === 'closing') this.finish(true);
  }

  /** The connection is gone: settle everything with `err`, no close handshake. */
  onConnectionClosed(err: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.teardown(err);
    this.finish(false);
  }

  private teardown(err: Error): void {
    this.error ??= err instanceof ClosedError ? err : closeError({ replyCode: 0, replyText: err.message, classId: 0, methodId: 0 }, 'socket');
    this.owner.teardown(this.error);
  }

  /** close-ok arrived (`released`) or the wait timed out: the channel is closed. */
  private finish(released: boolean): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.closeTimer);
    if (released) this.owner.release();
    this.resolveClosed?.();
    const err = this.error;
    const clean = err?.by === 'client' && err.replyCode === ReplyCode.REPLY_SUCCESS;
    this.owner.closed(clean ? undefined : err ?? undefined, err?.by === 'server');
  }
}
