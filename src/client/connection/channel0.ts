/**
 * Channel 0, the connection's own: the opening handshake, connection.close from either side,
 * connection.blocked / unblocked, and connection.update-secret. Each inbound method has a
 * handler named after it.
 * @packageDocumentation
 */
import { ReplyCode } from '../../frames/constants.js';
import { FrameError } from '../../frames/errors.js';
import { METHOD_BY_NAME } from '../../methods/codec.js';
import type { Method, MethodArgs, MethodName } from '../../methods/types.js';
import type { CallOptions } from '../channel/host.js';
import { AuthenticationError, ConnectionClosedError, UsageError } from '../errors.js';
import { Handshake, type HandshakeResult } from '../../protocol/client-handshake.js';
import type { ResolvedConnectionOptions } from '../options/index.js';
import { SyncCalls } from '../sync-calls.js';
import type { Tuned } from '../../protocol/tune.js';
import { localClose, type Lifecycle } from './lifecycle.js';

const UPDATE_SECRET_OK = METHOD_BY_NAME.get('connection.update-secret-ok')!.key;

/** What channel 0 needs from its connection. */
export interface Channel0Host {
  readonly lifecycle: Lifecycle;
  /** Encode a method on channel 0 and flush at the end of the tick. */
  send0<N extends MethodName>(name: N, args: MethodArgs<N>): void;
  /** Hand buffered output to the socket now (before hanging up). */
  flushNow(): void;
  /** Tune agreed: apply frame_max, channel_max and heartbeat before open goes out. */
  onTuned(tuned: Tuned): void;
  /** Emit an event on the connection; a throwing listener is reported, never fatal. */
  emitSafe(event: string, ...args: unknown[]): void;
}

/** The methods on channel 0 and the state they carry. */
export class Channel0 {
  /** True while the broker has blocked publishing (connection.blocked). */
  blocked = false;
  private handshake: Handshake | null;
  private handshakeDone: { resolve: (r: HandshakeResult) => void; reject: (e: Error) => void } | null = null;
  private tuned = false;
  // update-secret-ok carries nothing to tell replies apart, but they come in order: after a
  // timeout the stale reply is skipped and the next call goes out.
  private readonly calls = new SyncCalls({ onStuck: () => true });
  private blockedTimer: NodeJS.Timeout | undefined;

  constructor(private readonly host: Channel0Host, private readonly options: ResolvedConnectionOptions) {
    this.handshake = new Handshake(options, {
      send: (name, args) => host.send0(name, args),
      onTuned: (t) => {
        this.tuned = true;
        host.onTuned(t);
      },
    });
  }

  /** Resolves when open-ok arrives; rejects with whatever ends the connection before that. */
  awaitHandshake(): Promise<HandshakeResult> {
    return new Promise((resolve, reject) => (this.handshakeDone = { resolve, reject }));
  }

  /** A method on channel 0. */
  onMethod(m: Method, key: number): void {
    if (m.name === 'connection.close') return this.onConnectionClose(m.args);
    if (this.host.lifecycle.state === 'closing') {
      if (m.name === 'connection.close-ok') this.host.lifecycle.onCloseOk();
      return;
    }
    if (this.handshake) return this.onHandshakeMethod(this.handshake, m);
    switch (m.name) {
      case 'connection.blocked':
        return this.onConnectionBlocked(m.args.reason);
      case 'connection.unblocked':
        return this.onConnectionUnblocked();
      default:
        if (this.calls.reply(key, m)) return;
        throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${m.name} on channel 0 answers no request`);
    }
  }

  private onHandshakeMethod(handshake: Handshake, m: Method): void {
    const done = handshake.onMethod(m);
    if (done === null) return;
    this.handshake = null;
    this.host.lifecycle.opened();
    this.handshakeDone?.resolve(done);
  }

  /** The server closes the connection: answer close-ok and end. */
  private onConnectionClose(args: Method<'connection.close'>['args']): void {
    try {
      this.host.send0('connection.close-ok', {});
      this.host.flushNow();
    } catch {
      // socket already gone
    }
    const err = this.handshake ? this.handshake.closeError(args) : new ConnectionClosedError({ ...args, by: 'server' });
    this.host.lifecycle.hangUp(err, this.options.closeTimeout || 1000);
  }

  private onConnectionBlocked(reason: string): void {
    this.blocked = true;
    this.host.emitSafe('blocked', reason);
    const limit = this.options.blockedConnectionTimeout;
    if (limit && this.blockedTimer === undefined) {
      this.blockedTimer = setTimeout(() => {
        this.blockedTimer = undefined;
        this.host.lifecycle.abort(localClose(`connection blocked by the broker for more than ${limit} ms`, 'client'));
      }, limit);
      this.blockedTimer.unref();
    }
  }

  private onConnectionUnblocked(): void {
    this.blocked = false;
    clearTimeout(this.blockedTimer);
    this.blockedTimer = undefined;
    this.host.emitSafe('unblocked');
  }

  /**
   * The socket closed before the connection ended. After start-ok and before tune, RabbitMQ
   * without authentication_failure_close drops refused credentials this way.
   */
  socketLoss(text: string, cause: Error | null): ConnectionClosedError {
    const reason = { replyCode: 0, replyText: text, classId: 0, methodId: 0, by: 'socket' as const };
    if (this.handshake?.sentCredentials && !this.tuned) {
      return new AuthenticationError(
        reason,
        `connection closed during authentication of user '${this.options.username}' (bad credentials, or a vhost or mechanism the broker refused): ${text}`,
        { cause },
      );
    }
    return new ConnectionClosedError(reason, undefined, { cause: cause ?? undefined });
  }

  /** True until open-ok: frames for other channels are not legal yet. */
  get inHandshake(): boolean {
    return this.handshake !== null;
  }

  /** connection.update-secret, answered by update-secret-ok. */
  updateSecret(newSecret: string | Uint8Array, reason: string, options: CallOptions, defaultTimeout: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.enqueue({
        operation: 'connection.update-secret',
        replies: [UPDATE_SECRET_OK],
        send: () => this.host.send0('connection.update-secret', { newSecret, reason }),
        resolve: () => resolve(),
        reject,
        timeoutMs: options.timeout ?? defaultTimeout,
        signal: options.signal,
      });
    });
  }

  /** Settle what channel 0 has pending: the handshake with `cause`, update-secret with `err`. */
  end(err: ConnectionClosedError, cause: Error): void {
    clearTimeout(this.blockedTimer);
    this.calls.failAll(err);
    if (this.handshake) this.handshakeDone?.reject(cause);
    this.handshake = null;
  }

  /** Refuse channel-0 calls before open-ok and after close. */
  assertOpen(): void {
    const l = this.host.lifecycle;
    if (l.state !== 'open') throw l.closeError ?? new UsageError(`connection is ${l.state}`);
  }
}
