/**
 * The synchronous calls of one channel, typed by the method table: `call('queue.declare', args)`
 * resolves `Method<'queue.declare-ok'>`. One call is on the wire at a time, the rest wait in order
 * (`SyncCalls`); this part adds the types, the encoding of the request, and the caller's stack.
 *
 * A rejection settles from a socket handler or a timer, so its own stack says nothing about which
 * `await ch.queueDeclare(...)` failed. Each call records the stack it was made from and a rejection
 * carries it appended below the error's own frames.
 * @packageDocumentation
 */
import { AMQPError } from '../../frames/errors.js';
import { METHOD_BY_NAME, encodeMethodDef, methodDef } from '../../methods/codec.js';
import { METHODS } from '../../methods/definitions.js';
import type { Method, MethodArgs, MethodName, ReplyOf } from '../../methods/types.js';
import type { Message } from '../message.js';
import { SyncCalls, type SyncCall } from '../sync-calls.js';
import type { CallOptions, ChannelHost } from './host.js';

/**
 * What a call to method N resolves with: its reply method. basic.get-ok carries content, so a
 * basic.get resolves with the assembled Message (or basic.get-empty).
 */
export type CallResult<N extends MethodName> = N extends 'basic.get' ? Message | Method<'basic.get-empty'> : ReplyOf<N>;

/** Synchronous side effects of a call, run at the exact point in the frame stream they belong to. */
export interface CallHooks<N extends MethodName> {
  /** basic.get: whether the message it fetches needs an ack (read when basic.get-ok arrives). */
  noAck?: boolean;
  /** Right after the request is written. */
  onSent?: () => void;
  /** When the reply is matched, before any later frame of the same read is handled. */
  onReply?: (reply: CallResult<N>) => void;
}

/** What the queue needs from the channel it belongs to. */
export interface RpcQueueOwner {
  readonly id: number;
  readonly host: ChannelHost;
  /** The channel's close error, once it has one: calls then reject at once. */
  closed(): Error | null;
  /** A call went out but will get no usable reply (timeout, abort): the channel must close. */
  abandoned(operation: string, err: Error): void;
}

/** Marks an error whose stack already carries a caller's frames (see `withOrigin`). */
const TRACED = Symbol('amqp-wire.origin');

/**
 * Append the frames of `origin` to `err.stack`, once per error: a channel's close error rejects
 * every pending call and must stay the same object (it is also `closeReason` and the `close`
 * event's argument), so it carries the stack of the first call it failed, the one that met it.
 * Errors that are not ours (an AbortSignal's reason) are left untouched.
 */
function withOrigin(err: Error, origin: { stack?: string }): Error {
  if (!(err instanceof AMQPError) || Object.hasOwn(err, TRACED) || origin.stack === undefined) return err;
  Object.defineProperty(err, TRACED, { value: true });
  err.stack = `${err.stack ?? String(err)}${origin.stack.slice(origin.stack.indexOf('\n'))}`;
  return err;
}

/** The keys of the methods that answer each method, from the table's `replies`. */
const REPLY_KEYS: ReadonlyMap<string, readonly number[]> = new Map(
  METHODS.map((m) => [m.name, m.replies.map((r) => METHOD_BY_NAME.get(r)!.key)]),
);

/** Typed synchronous calls of one channel. */
export class RpcQueue {
  private readonly calls: SyncCalls;
  private readonly owner: RpcQueueOwner;

  constructor(owner: RpcQueueOwner) {
    this.owner = owner;
    // A channel cannot tell a late reply from the next call's: a stuck call closes it.
    this.calls = new SyncCalls({
      onStuck: (call, err) => {
        owner.abandoned(call.operation, err);
        return false;
      },
    });
  }

  /** Send synchronous method N when every earlier call has its reply, and resolve with that reply. */
  call<N extends MethodName>(name: N, args: MethodArgs<N>, options: CallOptions = {}, hooks: CallHooks<N> = {}): Promise<CallResult<N>> {
    const origin: { stack?: string } = {};
    Error.captureStackTrace(origin, this.call);
    const { owner } = this;
    return new Promise<CallResult<N>>((resolve, reject) => {
      const call: SyncCall = {
        operation: name,
        replies: REPLY_KEYS.get(name)!,
        send: () => {
          encodeMethodDef(owner.host.writer, owner.id, methodDef(name), args as Record<string, unknown>);
          owner.host.scheduleFlush();
          hooks.onSent?.();
        },
        // SyncCalls is untyped; the reply keys above guarantee the reply is a CallResult<N>.
        resolve: resolve as (value: unknown) => void,
        reject: (err) => reject(withOrigin(err, origin)),
        timeoutMs: options.timeout ?? owner.host.rpcTimeout,
        signal: options.signal,
        context: hooks.noAck,
      };
      if (hooks.onReply) call.onReply = hooks.onReply as (value: unknown) => void;
      const closed = owner.closed();
      if (closed) return call.reject(closed);
      this.calls.enqueue(call);
    });
  }

  /** basic.get-ok arrived: does the basic.get in flight want its message unacknowledged? */
  get getWantsNoAck(): boolean {
    return this.calls.current?.context === true;
  }

  /** A method (or basic.get's message) arrived; true when it answered the call in flight. */
  reply(key: number, value: Method | Message): boolean {
    return this.calls.reply(key, value);
  }

  /** Reject the call in flight and everything queued; later calls reject at once. */
  failAll(err: Error): void {
    this.calls.failAll(err);
  }
}
