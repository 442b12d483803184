/**
 * The channel state machine: synchronous calls, inbound dispatch, content assembly, consumers,
 * acks, confirms and close. `Channel` (channel.ts) adds the public operations on top.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import { FrameType, ReplyCode } from '../frames/constants.js';
import { FrameError } from '../frames/errors.js';
import type { Writer } from '../frames/writer.js';
import { METHOD_BY_NAME, decodeMethod, encodeMethod, encodeMethodDef } from '../methods/codec.js';
import { BASIC_DELIVER_KEY, DeliverCache, decodeBasicDeliver, encodeBasicAck, type BasicDeliverArgs } from '../methods/fast-path.js';
import type { DecodedArgs, Method, MethodArgs, MethodName } from '../methods/types.js';
import { ConfirmTracker } from './confirms.js';
import type { Consumer } from './consumers.js';
import { ContentAssembler } from './content-assembler.js';
import { ChannelClosedError, ClosedError, ConsumerCancelledError, UsageError, type ClosedBy } from './errors.js';
import { safeEmit, warn } from './events.js';
import { Message, type ReturnedMessage } from './message.js';
import { SyncCalls, type SyncCall } from './sync-calls.js';

/** What a channel needs from its connection. */
export interface ChannelHost {
  readonly writer: Writer;
  /** Ask for the writer to be flushed to the socket at the end of this tick. */
  scheduleFlush(): void;
  /** True while buffered output is above the high-water mark. */
  readonly writeBlocked: boolean;
  readonly rpcTimeout: number;
  readonly closeTimeout: number;
  readonly maxMessageSize: number;
  readonly maxConfirmsInFlight: number;
  /** The peer broke the protocol: close the whole connection with this error. */
  connectionError(err: FrameError): void;
  /** close-ok received: the id may be handed out again. */
  releaseChannel(id: number): void;
}

/** Per-call options for every synchronous operation. */
export interface CallOptions {
  /** ms; defaults to the connection's rpcTimeout. 0: wait forever. */
  timeout?: number;
  /** Abort the call; aborting after it was sent closes the channel (its reply is still coming). */
  signal?: AbortSignal;
}

/** Synchronous side effects of a call, run at the exact point in the frame stream they belong to. */
export interface CallHooks {
  /** Seen by the reply handler (basic.get: `{ noAck }`). */
  context?: unknown;
  /** Right after the request is written. */
  onSent?: () => void;
  /** When the reply is matched, before any later frame of the same read is handled. */
  onReply?: (reply: unknown) => void;
}

type State = 'opening' | 'open' | 'closing' | 'closed';
/** The method that announced the content being assembled; `kind` says which. */
type ContentMethod =
  | { kind: 'deliver'; args: BasicDeliverArgs }
  | { kind: 'get-ok'; args: DecodedArgs<'basic.get-ok'> }
  | { kind: 'return'; args: DecodedArgs<'basic.return'> };

const key = (name: MethodName): number => METHOD_BY_NAME.get(name)!.key;
const K = {
  channelClose: key('channel.close'),
  channelCloseOk: key('channel.close-ok'),
  channelFlow: key('channel.flow'),
  basicAck: key('basic.ack'),
  basicNack: key('basic.nack'),
  basicCancel: key('basic.cancel'),
  basicGetOk: key('basic.get-ok'),
  basicReturn: key('basic.return'),
} as const;

/** The state machine behind `Channel`. */
export class ChannelCore extends EventEmitter {
  // The Acker of its messages by shape only: `implements Acker` would name members that
  // stripInternal removes, and the published .d.ts would not compile.
  /** Channel number on the connection. */
  readonly id: number;
  protected readonly host: ChannelHost;
  protected state: State = 'opening';
  protected readonly calls: SyncCalls;
  private readonly assembler: ContentAssembler<ContentMethod>;
  /** Strings of recent basic.deliver frames, reused when the next one repeats them. */
  private readonly deliverCache = new DeliverCache();
  protected readonly consumers = new Map<string, Consumer>();
  protected confirms: ConfirmTracker | null = null;
  /** Delivery tags handed out with manual ack and not yet settled. */
  protected readonly unacked = new Set<number>();
  /**
   * In tx mode: tags acked, nacked or rejected since the last commit or rollback. A rollback
   * undoes those acknowledgements, so the tags become outstanding again.
   */
  protected txSettled: number[] | null = null;
  /** Why the channel ended: its own ChannelClosedError, or the connection's ConnectionClosedError. */
  private closeError: ClosedError | null = null;
  private closing: Promise<void> | null = null;
  private closeTimer: NodeJS.Timeout | undefined;
  private resolveClosed: (() => void) | null = null;
  protected needsDrain = false;

  constructor(host: ChannelHost, id: number) {
    super();
    this.host = host;
    this.id = id;
    this.calls = new SyncCalls({ onStuck: (call, err) => this.onStuck(call, err) });
    this.assembler = new ContentAssembler(host.maxMessageSize);
  }

  /** Why the channel closed (null while it is open). */
  get closeReason(): ClosedError | null {
    return this.closeError;
  }

  /** True until the channel starts closing. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Send a synchronous method and resolve with its reply (or the message, for basic.get-ok). */
  protected call<N extends MethodName>(name: N, args: MethodArgs<N>, options: CallOptions = {}, hooks: CallHooks = {}): Promise<unknown> {
    const def = METHOD_BY_NAME.get(name)!;
    return new Promise((resolve, reject) => {
      const call: SyncCall = {
        operation: name,
        replies: def.replies.map((r) => key(r as MethodName)),
        send: () => {
          encodeMethodDef(this.host.writer, this.id, def, args as Record<string, unknown>);
          this.host.scheduleFlush();
          hooks.onSent?.();
        },
        resolve,
        reject,
        timeoutMs: options.timeout ?? this.host.rpcTimeout,
        signal: options.signal,
        context: hooks.context,
      };
      if (hooks.onReply) call.onReply = hooks.onReply;
      if (this.closeError) return reject(this.closeError);
      this.calls.enqueue(call);
    });
  }

  /** Write an asynchronous method now. */
  protected send<N extends MethodName>(name: N, args: MethodArgs<N>): void {
    encodeMethod(this.host.writer, this.id, name, args);
    this.host.scheduleFlush();
  }

  /** Throw the close error if the channel cannot be used. */
  protected assertOpen(): void {
    if (this.state === 'open') return;
    if (this.closeError) throw this.closeError;
    throw new UsageError(`channel ${this.id} is ${this.state}`);
  }

  // ---- inbound ---------------------------------------------------------------------------

  /** A frame for this channel (called by the connection; throws FrameError for protocol faults). */
  onFrame(type: number, buf: Buffer, start: number, end: number): void {
    if (this.state === 'closing') return this.onFrameWhileClosing(type, buf, start, end);
    if (this.state === 'closed') return;
    if (type === FrameType.METHOD) this.onMethodFrame(buf, start, end);
    else if (type === FrameType.HEADER) this.onAssembled(this.assembler.header(buf, start, end));
    else if (type === FrameType.BODY) this.onAssembled(this.assembler.bodyFrame(buf, start, end));
  }

  private onMethodFrame(buf: Buffer, start: number, end: number): void {
    if (end - start >= 4 && buf.readUInt32BE(start) === BASIC_DELIVER_KEY) {
      const d = decodeBasicDeliver(buf, start, end, this.deliverCache);
      this.assembler.begin({ kind: 'deliver', args: d }, 60);
      return;
    }
    const m = decodeMethod(buf, start, end);
    const k = ((m.classId << 16) | m.methodId) >>> 0;
    if (k === K.basicGetOk) return this.assembler.begin({ kind: 'get-ok', args: m.args as DecodedArgs<'basic.get-ok'> }, 60);
    if (k === K.basicReturn) return this.assembler.begin({ kind: 'return', args: m.args as DecodedArgs<'basic.return'> }, 60);
    this.assembler.assertIdle(m.name);
    this.onMethod(m, k);
  }

  private onMethod(m: Method, k: number): void {
    switch (m.name) {
      case 'basic.ack':
        this.confirms?.onAck(m.args.deliveryTag, m.args.multiple);
        return;
      case 'basic.nack':
        this.confirms?.onNack(m.args.deliveryTag, m.args.multiple);
        return;
      case 'basic.cancel':
        return this.onServerCancel(m.args.consumerTag, m.args.nowait);
      case 'channel.close':
        return this.onServerClose(m.args);
      case 'channel.flow':
        this.send('channel.flow-ok', { active: m.args.active });
        this.emitSafe('flow', m.args.active);
        return;
      default:
        if (this.calls.reply(k, m)) return;
        throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${m.name} on channel ${this.id} answers no request`);
    }
  }

  private onAssembled(done: { method: ContentMethod; properties: Message['properties']; body: Buffer } | null): void {
    if (done === null) return;
    const { method, properties, body } = done;
    if (method.kind === 'deliver') {
      const d = method.args;
      const consumer = this.consumers.get(d.consumerTag);
      if (consumer === undefined) {
        this.report(new UsageError(`delivery ${d.deliveryTag} for unknown consumer '${d.consumerTag}' dropped`));
        return;
      }
      if (!consumer.noAck) this.unacked.add(d.deliveryTag);
      consumer.deliver(new Message(body, properties, d, consumer.noAck ? null : this));
    } else if (method.kind === 'get-ok') {
      const noAck = (this.calls.current?.context as { noAck?: boolean } | undefined)?.noAck ?? false;
      if (!noAck) this.unacked.add(method.args.deliveryTag);
      this.calls.reply(K.basicGetOk, new Message(body, properties, { ...method.args }, noAck ? null : this));
    } else {
      const returned: ReturnedMessage = { body, properties, fields: { ...method.args } };
      this.confirms?.onReturn(returned.fields, body.length);
      this.emitSafe('return', returned);
    }
  }

  private onServerCancel(consumerTag: string, nowait: boolean): void {
    const consumer = this.consumers.get(consumerTag);
    this.consumers.delete(consumerTag);
    if (!nowait) this.send('basic.cancel-ok', { consumerTag });
    consumer?.end(new ConsumerCancelledError(consumerTag));
    this.emitSafe('cancel', consumerTag);
  }

  private onFrameWhileClosing(type: number, buf: Buffer, start: number, end: number): void {
    // After channel.close only close and close-ok count (spec 1.5.2.5); content is dropped unparsed.
    if (type !== FrameType.METHOD || end - start < 4) return;
    const k = buf.readUInt32BE(start);
    if (k === K.channelCloseOk) return this.finalClose(true);
    if (k === K.channelClose) {
      // Both sides closed at once: answer close-ok and keep waiting for ours.
      const m = decodeMethod(buf, start, end) as Method<'channel.close'>;
      this.send('channel.close-ok', {});
      if (this.closeError?.by === 'client' && m.args.replyCode !== ReplyCode.REPLY_SUCCESS) {
        this.closeError = this.makeCloseError(m.args, 'server');
      }
    }
  }

  private onServerClose(args: DecodedArgs<'channel.close'>): void {
    this.send('channel.close-ok', {});
    const err = this.makeCloseError(args, 'server');
    this.state = 'closing';
    this.teardown(err);
    this.finalClose(true);
  }

  // ---- acks ------------------------------------------------------------------------------

  /** @internal Acker: basic.ack with a local guard against double and noAck acks. */
  ack(deliveryTag: number, multiple: boolean): void {
    this.settleTags(deliveryTag, multiple, 'ack');
    encodeBasicAck(this.host.writer, this.id, deliveryTag, multiple);
    this.host.scheduleFlush();
  }

  /** @internal Acker: basic.nack. */
  nack(deliveryTag: number, multiple: boolean, requeue: boolean): void {
    this.settleTags(deliveryTag, multiple, 'nack');
    this.send('basic.nack', { deliveryTag, multiple, requeue });
  }

  /** @internal Acker: basic.reject. */
  reject(deliveryTag: number, requeue: boolean): void {
    this.settleTags(deliveryTag, false, 'reject');
    this.send('basic.reject', { deliveryTag, requeue });
  }

  /**
   * Acking a tag twice, a tag never delivered, or one delivered with noAck makes RabbitMQ close
   * the channel with 406 PRECONDITION_FAILED; refuse it here instead. Tag 0 with `multiple` means
   * "everything outstanding".
   */
  private settleTags(tag: number, multiple: boolean, op: string): void {
    this.assertOpen();
    if (!multiple) {
      if (!this.unacked.delete(tag)) {
        throw new UsageError(`basic.${op}: delivery tag ${tag} is not outstanding on channel ${this.id} (already settled, delivered with noAck, or unknown)`);
      }
      this.txSettled?.push(tag);
      return;
    }
    const settled: number[] = [];
    for (const t of this.unacked) if (tag === 0 || t <= tag) settled.push(t);
    if (settled.length === 0) throw new UsageError(`basic.${op}: no outstanding delivery up to tag ${tag} on channel ${this.id}`);
    for (const t of settled) this.unacked.delete(t);
    this.txSettled?.push(...settled);
  }

  // ---- close -----------------------------------------------------------------------------

  protected makeCloseError(args: { replyCode: number; replyText: string; classId: number; methodId: number }, by: ClosedBy): ChannelClosedError {
    return new ChannelClosedError({ ...args, by });
  }

  /**
   * Close the channel: channel.close, then wait for close-ok (at most closeTimeout). Pending
   * operations reject with ChannelClosedError. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === 'closed') return Promise.resolve();
    this.closing = this.startClose(this.makeCloseError({ replyCode: 200, replyText: 'channel closed by client', classId: 0, methodId: 0 }, 'client'), 200, 'Goodbye');
    return this.closing;
  }

  private startClose(err: ChannelClosedError, replyCode: number, replyText: string, classId = 0, methodId = 0): Promise<void> {
    this.state = 'closing';
    const done = new Promise<void>((resolve) => (this.resolveClosed = resolve));
    try {
      this.send('channel.close', { replyCode, replyText, classId, methodId });
    } catch {
      // The connection is gone; teardown below settles everything.
    }
    this.teardown(err);
    if (this.host.closeTimeout > 0) {
      this.closeTimer = setTimeout(() => this.finalClose(false), this.host.closeTimeout);
      this.closeTimer.unref();
    }
    return done;
  }

  /** A sent call timed out or was aborted: close the channel so its late reply cannot match. */
  private onStuck(call: SyncCall, err: Error): boolean {
    if (this.state !== 'open' && this.state !== 'opening') return false;
    const closeErr = this.makeCloseError({ replyCode: 200, replyText: `closed because ${call.operation} did not complete: ${err.message}`, classId: 0, methodId: 0 }, 'client');
    this.closing = this.startClose(closeErr, 200, 'request timed out');
    this.emitSafe('error', closeErr);
    return false;
  }

  /** Reject everything pending and end every consumer with `err`. */
  private teardown(err: Error): void {
    this.closeError ??= err instanceof ClosedError ? err : this.makeCloseError({ replyCode: 0, replyText: err.message, classId: 0, methodId: 0 }, 'socket');
    const e = this.closeError;
    this.calls.failAll(e);
    this.confirms?.failAll(e);
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    for (const c of consumers) c.end(e);
    this.unacked.clear();
    this.assembler.reset();
  }

  /** close-ok arrived (`released`) or the wait timed out: the channel is closed. */
  private finalClose(released: boolean): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.closeTimer);
    // Without close-ok the id stays taken: a late close-ok must not close a new channel.
    if (released) this.host.releaseChannel(this.id);
    this.resolveClosed?.();
    const err = this.closeError;
    if (err && err.by === 'server') this.emitSafe('error', err);
    this.emitSafe('close', err?.by === 'client' && err.replyCode === 200 ? undefined : err);
    this.removeAllListeners('drain');
  }

  /** The connection is gone: settle everything with `err`, no close handshake. */
  onConnectionClosed(err: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.teardown(err);
    this.finalClose(false);
  }

  /** The socket drained below the high-water mark. */
  onDrain(): void {
    if (!this.needsDrain) return;
    this.needsDrain = false;
    this.emitSafe('drain');
  }

  // ---- events ----------------------------------------------------------------------------

  /**
   * Emit without letting a listener's throw escape. 'error' with no listener is dropped, not
   * thrown: the same error already rejects the pending promises and rides on 'close'.
   */
  protected emitSafe(event: string, ...args: unknown[]): void {
    safeEmit(this, event, args, (e) => this.report(e));
  }

  /** Report an error that belongs to nobody's promise (a throwing consumer or listener). */
  protected report(err: unknown): void {
    if (this.listenerCount('error') > 0) {
      safeEmit(this, 'error', [err], warn);
    } else warn(err);
  }
}
