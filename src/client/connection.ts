/**
 * `Connection`: one socket, the handshake, heartbeats, channel 0, channel numbering, the output
 * buffer, and close in both directions.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import { DEFAULT_INBOUND_FRAME_CAP, FrameType, PROTOCOL_HEADER, ReplyCode } from '../frames/constants.js';
import { AMQPError, FrameError, ProtocolVersionError } from '../frames/errors.js';
import type { FieldTable } from '../frames/field-table.js';
import { FrameParser, type FrameHandler } from '../frames/parser.js';
import type { Writer } from '../frames/writer.js';
import { METHOD_BY_NAME, decodeMethod, encodeMethod } from '../methods/codec.js';
import type { Method, MethodArgs, MethodName } from '../methods/types.js';
import { Channel } from './channel/channel.js';
import type { CallOptions, ChannelHost } from './channel/host.js';
import { AuthenticationError, ConnectionClosedError, UsageError, type CloseReason } from './errors.js';
import { safeEmit, warn } from './events.js';
import { Handshake, type HandshakeResult } from './handshake.js';
import { Heartbeat, now, type HeartbeatHost } from './heartbeat.js';
import type { ResolvedConnectionOptions } from './options.js';
import { redactUrl } from './url.js';
import { createRpcClient, type RpcClient, type RpcClientOptions } from './rpc-client.js';
import { createRpcServer, type RpcHandler, type RpcServer, type RpcServerOptions } from './rpc-server.js';
import { Output } from './output.js';
import { SyncCalls } from './sync-calls.js';
import type { Tuned } from './tune.js';

type State = 'handshake' | 'open' | 'closing' | 'closed';
const HEARTBEAT_FRAME = Buffer.from([FrameType.HEARTBEAT, 0, 0, 0, 0, 0, 0, 0xce]);
const UPDATE_SECRET_OK = METHOD_BY_NAME.get('connection.update-secret-ok')!.key;

/**
 * An open AMQP connection. Events: `close` (error, or undefined after a clean `close()`), `error`,
 * `blocked` (reason), `unblocked`. A listener that throws is reported, never fatal.
 */
export class Connection extends EventEmitter implements ChannelHost, HeartbeatHost, FrameHandler {
  private readonly output: Output;
  /** server_properties from connection.start. */
  serverProperties: FieldTable = {};
  /** Negotiated channel_max, frame_max and heartbeat. */
  tuned: Tuned = { channelMax: 0, frameMax: 0, heartbeat: 0 };
  /** True while the broker has blocked publishing (connection.blocked). */
  blocked = false;
  private isTuned = false;
  /** @internal */ lastRead = now();

  private state: State = 'handshake';
  private readonly parser = new FrameParser(DEFAULT_INBOUND_FRAME_CAP);
  private readonly channels = new Map<number, Channel>();
  private nextChannelId = 1;
  private heartbeat: Heartbeat | null = null;
  private handshake: Handshake | null;
  private handshakeDone: { resolve: (r: HandshakeResult) => void; reject: (e: Error) => void } | null = null;
  private readonly calls0: SyncCalls;
  private closeError: ConnectionClosedError | null = null;
  private closing: Promise<void> | null = null;
  private closeTimer: NodeJS.Timeout | undefined;
  private blockedTimer: NodeJS.Timeout | undefined;
  private socketClosed: Promise<void>;

  /** @internal Use `connect()`. */
  constructor(private readonly socket: Socket, readonly options: ResolvedConnectionOptions) {
    super();
    this.output = new Output(socket, options.writeHighWaterMark, () => this.notifyDrain());
    this.handshake = new Handshake(options, { send: (n, a) => this.send0(n, a), onTuned: (t) => this.onTuned(t) });
    // update-secret-ok carries nothing to tell replies apart, but they come in order: after a
    // timeout the stale reply is skipped and the next call goes out.
    this.calls0 = new SyncCalls({ onStuck: () => true });
    // The socket's end also ends the wait for close-ok.
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve(clearTimeout(this.closeTimer))));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.onSocketGone(err));
    socket.on('close', () => this.onSocketGone(null));
    socket.on('end', () => this.onSocketGone(null));
  }

  /** @internal Run the handshake on a connected socket. */
  start(): Promise<HandshakeResult> {
    return new Promise((resolve, reject) => {
      this.handshakeDone = { resolve, reject };
      this.output.writeRaw(Buffer.from(PROTOCOL_HEADER));
    }).then((r) => {
      const result = r as HandshakeResult;
      this.serverProperties = result.serverProperties;
      this.state = 'open';
      return result;
    });
  }

  // ---- ChannelHost ---------------------------------------------------------------------------

  /** @internal */ get writer(): Writer { return this.output.writer; }
  /** @internal */ get lastWrite(): number { return this.output.lastWrite; }
  /** @internal */ get writeBlocked(): boolean { return this.output.blocked; }
  /** @internal */ get rpcTimeout(): number { return this.options.rpcTimeout; }
  /** @internal */ get closeTimeout(): number { return this.options.closeTimeout; }
  /** @internal */ get maxMessageSize(): number { return this.options.maxMessageSize; }
  /** @internal */ get maxConfirmsInFlight(): number { return this.options.maxConfirmsInFlight; }

  /** @internal Flush at the end of this tick (see Output). */
  scheduleFlush(): void {
    this.output.scheduleFlush();
  }

  private notifyDrain(): void {
    for (const ch of this.channels.values()) ch.onDrain();
  }

  /** @internal */ releaseChannel(id: number): void {
    this.channels.delete(id);
  }

  /** @internal The peer broke the protocol: connection.close with the fault's code, then drop the socket. */
  connectionError(err: FrameError | AMQPError): void {
    if (this.state === 'closed') return;
    const code = err instanceof FrameError ? err.replyCode : ReplyCode.INTERNAL_ERROR;
    // A server that refused our protocol version, or one we share no SASL mechanism with, gets
    // no connection.close: there is no AMQP session to close.
    const speak = !(err instanceof ProtocolVersionError) && (err instanceof FrameError || this.state !== 'handshake');
    try {
      if (speak) {
        encodeMethod(this.writer, 0, 'connection.close', { replyCode: code, replyText: err.message.slice(0, 255), classId: 0, methodId: 0 });
        this.output.flush();
      }
    } catch {
      // nothing more to say to a peer we cannot write to
    }
    const closed = new ConnectionClosedError({ replyCode: code, replyText: err.message, classId: 0, methodId: 0, by: 'client' }, undefined, { cause: err });
    this.teardown(err instanceof ProtocolVersionError || this.state === 'handshake' ? err : closed);
    this.socket.end();
    this.armDestroy(100);
  }

  // ---- inbound -------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastRead = now();
    if (this.state === 'closed') return;
    try {
      this.parser.push(chunk, this);
    } catch (e) {
      this.connectionError(e instanceof AMQPError ? e : new AMQPError(`internal error: ${(e as Error).message}`, { cause: e }));
    }
  }

  /** @internal FrameHandler */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (channel === 0) {
      if (type === FrameType.HEARTBEAT) return;
      if (type !== FrameType.METHOD) throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `content frame (type ${type}) on channel 0`);
      return this.onMethod0(decodeMethod(buf, start, end));
    }
    const ch = this.channels.get(channel);
    if (ch === undefined || this.state === 'handshake') {
      if (this.state === 'closing') return;
      throw new FrameError(ReplyCode.CHANNEL_ERROR, `frame for channel ${channel}, which is not open`);
    }
    ch.framesIn.onFrame(type, buf, start, end);
  }

  private onMethod0(m: Method): void {
    if (m.name === 'connection.close') return this.onServerClose(m.args);
    if (this.state === 'closing') {
      if (m.name === 'connection.close-ok') this.socket.end();
      return;
    }
    if (this.handshake) {
      const done = this.handshake.onMethod(m);
      if (done) {
        this.handshake = null;
        this.handshakeDone?.resolve(done);
      }
      return;
    }
    switch (m.name) {
      case 'connection.blocked':
        return this.onBlocked(m.args.reason);
      case 'connection.unblocked':
        return this.onUnblocked();
      default:
        if (this.calls0.reply(((m.classId << 16) | m.methodId) >>> 0, m)) return;
        throw new FrameError(ReplyCode.UNEXPECTED_FRAME, `${m.name} on channel 0 answers no request`);
    }
  }

  private onServerClose(args: Method<'connection.close'>['args']): void {
    try {
      this.send0('connection.close-ok', {});
      this.output.flush();
    } catch {
      // socket already gone
    }
    const reason: CloseReason = { ...args, by: 'server' };
    const err = this.handshake ? this.handshake.closeError(args) : new ConnectionClosedError(reason);
    this.teardown(err);
    this.socket.end();
    this.armDestroy(this.options.closeTimeout || 1000);
  }

  private onBlocked(reason: string): void {
    this.blocked = true;
    this.emitSafe('blocked', reason);
    const limit = this.options.blockedConnectionTimeout;
    if (limit && this.blockedTimer === undefined) {
      this.blockedTimer = setTimeout(() => {
        this.blockedTimer = undefined;
        const err = new ConnectionClosedError(
          { replyCode: 0, replyText: `connection blocked by the broker for more than ${limit} ms`, classId: 0, methodId: 0, by: 'client' },
        );
        this.teardown(err);
        this.socket.destroy();
      }, limit);
      this.blockedTimer.unref();
    }
  }

  private onUnblocked(): void {
    this.blocked = false;
    clearTimeout(this.blockedTimer);
    this.blockedTimer = undefined;
    this.emitSafe('unblocked');
  }

  private onSocketGone(err: Error | null): void {
    if (this.state === 'closed') return;
    // Closing by our own close(): RabbitMQ may reset the socket right after close-ok; that is the end we asked for.
    if (this.state === 'closing') return this.teardown(this.closeError!);
    const hs = this.handshake;
    const text = err ? `socket error: ${err.message}` : this.parser.midFrame ? 'socket closed in the middle of a frame' : 'socket closed by peer';
    const reason: CloseReason = { replyCode: 0, replyText: text, classId: 0, methodId: 0, by: 'socket' };
    const gone = hs?.sentCredentials && !this.isTuned
      ? new AuthenticationError(reason, `connection closed during authentication of user '${this.options.username}' (bad credentials, or a vhost or mechanism the broker refused): ${text}`, { cause: err })
      : new ConnectionClosedError(reason, undefined, { cause: err ?? undefined });
    this.teardown(gone);
  }

  // ---- HeartbeatHost -------------------------------------------------------------------------

  /** @internal */ sendHeartbeat(): void {
    this.output.writeRaw(HEARTBEAT_FRAME);
  }

  /** @internal */ onHeartbeatTimeout(silentMs: number): void {
    const err = new ConnectionClosedError({
      replyCode: 0, replyText: `missed heartbeats: nothing received for ${Math.round(silentMs)} ms (heartbeat ${this.tuned.heartbeat} s)`,
      classId: 0, methodId: 0, by: 'socket',
    });
    this.teardown(err);
    this.socket.destroy();
  }

  private onTuned(t: Tuned): void {
    this.tuned = t;
    this.isTuned = true;
    // frame_max 0 (no limit) still gets a cap on what we accept before allocating.
    this.parser.maxFrameSize = t.frameMax === 0 ? DEFAULT_INBOUND_FRAME_CAP : t.frameMax;
    this.writer.frameMax = t.frameMax;
    if (t.heartbeat > 0) this.heartbeat = new Heartbeat(this, t.heartbeat);
  }

  // ---- outbound ------------------------------------------------------------------------------

  private send0<N extends MethodName>(name: N, args: MethodArgs<N>): void {
    encodeMethod(this.writer, 0, name, args);
    this.scheduleFlush();
  }

  /** Open a new channel. */
  async channel(options: CallOptions = {}): Promise<Channel> {
    if (this.state !== 'open') throw this.closeError ?? new UsageError(`connection is ${this.state}`);
    const ch = new Channel(this, this.allocateChannelId());
    this.channels.set(ch.id, ch);
    try {
      return await ch.open(options);
    } catch (e) {
      if (this.channels.get(ch.id) === ch && this.state === 'open') await ch.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Serve RPC requests from `queue` on a channel of its own: declare the queue, basic.qos
   * `prefetch` (default 1), answer each request to its reply_to with its correlation_id, then ack.
   */
  rpcServer(queue: string, handler: RpcHandler, options: RpcServerOptions = {}): Promise<RpcServer> {
    return createRpcServer(this, queue, handler, options);
  }

  /** An RPC client on a channel of its own: direct reply-to unless `replyQueue: 'exclusive'`. */
  rpcClient(options: RpcClientOptions = {}): Promise<RpcClient> {
    return createRpcClient(this, options);
  }

  /** Lowest free id from a rotating start; ids of channels still closing are not free. */
  private allocateChannelId(): number {
    const max = this.tuned.channelMax === 0 ? 0xffff : this.tuned.channelMax;
    for (let i = 0; i < max; i++) {
      const id = ((this.nextChannelId - 1 + i) % max) + 1;
      if (!this.channels.has(id)) {
        this.nextChannelId = (id % max) + 1;
        return id;
      }
    }
    throw new UsageError(`all ${max} channels are in use (channel_max ${this.tuned.channelMax})`);
  }

  /** connection.update-secret: replace an expiring token (OAuth 2) without reconnecting. */
  async updateSecret(newSecret: string | Uint8Array, reason: string, options: CallOptions = {}): Promise<void> {
    if (this.state !== 'open') throw this.closeError ?? new UsageError(`connection is ${this.state}`);
    await new Promise((resolve, reject) => {
      this.calls0.enqueue({
        operation: 'connection.update-secret',
        replies: [UPDATE_SECRET_OK],
        send: () => this.send0('connection.update-secret', { newSecret, reason }),
        resolve, reject,
        timeoutMs: options.timeout ?? this.options.rpcTimeout,
        signal: options.signal,
      });
    });
  }

  /**
   * Close the connection: connection.close, wait for close-ok (at most closeTimeout, also while
   * the broker has blocked us and reads nothing), then end the socket. Every pending operation
   * rejects with ConnectionClosedError. Any number of concurrent calls share one close.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === 'closed') return this.socketClosed;
    const err = new ConnectionClosedError({ replyCode: 200, replyText: 'connection closed by client', classId: 0, methodId: 0, by: 'client' });
    if (this.state === 'handshake') {
      this.teardown(err);
      this.socket.destroy();
      return (this.closing = this.socketClosed);
    }
    this.state = 'closing';
    this.closeError = err;
    for (const ch of [...this.channels.values()]) ch.onConnectionClosed(err);
    this.channels.clear();
    this.calls0.failAll(err);
    try {
      this.send0('connection.close', { replyCode: 200, replyText: 'Goodbye', classId: 0, methodId: 0 });
      this.output.flush();
    } catch {
      // socket gone: teardown follows from its close event
    }
    this.armDestroy(this.options.closeTimeout);
    this.closing = this.socketClosed;
    return this.closing;
  }

  private armDestroy(ms: number): void {
    if (this.closeTimer !== undefined) return;
    if (ms <= 0) return;
    this.closeTimer = setTimeout(() => this.socket.destroy(), ms);
    this.closeTimer.unref();
  }

  /** Settle everything with `err` and report it. Idempotent. */
  private teardown(err: Error): void {
    if (this.state === 'closed') return;
    const clean = err instanceof ConnectionClosedError && err.by === 'client' && err.replyCode === 200;
    this.state = 'closed';
    this.closeError ??= err instanceof ConnectionClosedError ? err : new ConnectionClosedError(
      { replyCode: 0, replyText: err.message, classId: 0, methodId: 0, by: 'socket' }, err.message, { cause: err },
    );
    this.heartbeat?.stop();
    clearTimeout(this.blockedTimer);
    for (const ch of [...this.channels.values()]) ch.onConnectionClosed(this.closeError);
    this.channels.clear();
    this.calls0.failAll(this.closeError);
    if (this.handshakeDone && this.handshake) this.handshakeDone.reject(err);
    this.handshake = null;
    if (!clean) this.emitSafe('error', this.closeError);
    this.emitSafe('close', clean ? undefined : this.closeError);
  }

  /**
   * Emit without letting a listener's throw escape. 'error' with no listener is dropped, never
   * thrown as EventEmitter would: the 'close' event and the rejected promises carry it.
   */
  private emitSafe(event: string, ...args: unknown[]): void {
    safeEmit(this, event, args, (e) => this.reportListenerError(e));
  }

  private reportListenerError(err: unknown): void {
    if (this.listenerCount('error') > 0) safeEmit(this, 'error', [err], warn);
    else warn(err);
  }

  /** Connection summary without credentials. */
  [inspect.custom](): string {
    const o = this.options;
    const url = redactUrl(`${o.tls ? 'amqps' : 'amqp'}://${encodeURIComponent(o.username)}:x@${o.host}:${o.port}/${encodeURIComponent(o.vhost)}`);
    return `Connection { url: '${url}', state: '${this.state}', channels: ${this.channels.size}, blocked: ${this.blocked} }`;
  }
}
