/**
 * The life of one connection: handshake -> open -> closing -> closed, why it ended, and the
 * timers that make sure the socket does end. Every other part asks this one what state the
 * connection is in; only this one changes it.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { ConnectionClosedError, type ClosedBy } from '../errors.js';

/** Where a connection is in its life. */
export type ConnectionState = 'handshake' | 'open' | 'closing' | 'closed';

/** A close that no connection.close carried (socket loss, heartbeat, a local limit). */
export function localClose(replyText: string, by: ClosedBy, replyCode = 0, cause?: unknown): ConnectionClosedError {
  return new ConnectionClosedError({ replyCode, replyText, classId: 0, methodId: 0, by }, undefined, cause === undefined ? undefined : { cause });
}

/** True for the error of a close the user asked for, which is reported as no error at all. */
const isCleanClose = (err: Error): boolean => err instanceof ConnectionClosedError && err.by === 'client' && err.replyCode === 200;

/**
 * Called once, when the connection has ended: `err` is what pending work rejects with, `cause`
 * what ended it (the same error, or a handshake failure such as AuthenticationError).
 */
export type OnEnded = (err: ConnectionClosedError, clean: boolean, cause: Error) => void;

/** The state of one connection and the ways it ends. */
export class Lifecycle {
  private current: ConnectionState = 'handshake';
  private error: ConnectionClosedError | null = null;
  private closing: Promise<void> | null = null;
  private destroyTimer: NodeJS.Timeout | undefined;
  /** Resolves when the socket has closed, whoever closed it. */
  readonly socketClosed: Promise<void>;

  constructor(private readonly socket: Socket, private readonly onEnded: OnEnded) {
    // The socket's end also ends the wait for close-ok.
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve(clearTimeout(this.destroyTimer))));
  }

  /** Where the connection is now. */
  get state(): ConnectionState {
    return this.current;
  }

  /** Why the connection ended or is ending; null while it is usable. */
  get closeError(): ConnectionClosedError | null {
    return this.error;
  }

  /** open-ok arrived. */
  opened(): void {
    if (this.current === 'handshake') this.current = 'open';
  }

  /**
   * The user's close(). `goodbye` settles what is pending and writes connection.close; the socket
   * gets `timeoutMs` to close before it is destroyed. Concurrent calls share one promise.
   */
  close(goodbye: (err: ConnectionClosedError) => void, timeoutMs: number): Promise<void> {
    if (this.closing) return this.closing;
    if (this.current === 'closed') return this.socketClosed;
    const err = localClose('connection closed by client', 'client', 200);
    if (this.current === 'handshake') {
      this.end(err);
      this.socket.destroy();
    } else {
      this.current = 'closing';
      this.error = err;
      goodbye(err);
      this.destroyAfter(timeoutMs);
    }
    this.closing = this.socketClosed;
    return this.closing;
  }

  /** The socket is gone: while closing that is the end we asked for, otherwise a loss. */
  onSocketGone(loss: () => Error): void {
    if (this.current === 'closed') return;
    this.end(this.current === 'closing' ? this.error! : loss());
  }

  /** Settle everything with `err` and report it. Idempotent. */
  end(err: Error): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.error ??= err instanceof ConnectionClosedError ? err : localClose(err.message, 'socket', 0, err);
    this.onEnded(this.error, isCleanClose(err), err);
  }

  /** End with `err` and drop the socket at once (heartbeat timeout, blocked too long). */
  abort(err: Error): void {
    this.end(err);
    this.socket.destroy();
  }

  /** End with `err`, half-close the socket, and destroy it if the peer has not closed it in `ms`. */
  hangUp(err: Error, ms: number): void {
    this.end(err);
    this.socket.end();
    this.destroyAfter(ms);
  }

  /** Our close was answered with close-ok: the peer closes its side next. */
  onCloseOk(): void {
    this.socket.end();
  }

  private destroyAfter(ms: number): void {
    if (this.destroyTimer !== undefined || ms <= 0) return;
    this.destroyTimer = setTimeout(() => this.socket.destroy(), ms);
    this.destroyTimer.unref();
  }
}
