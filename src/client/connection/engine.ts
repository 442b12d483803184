/**
 * A connection's engine: one socket, the frame parser, the output, and the parts that own the
 * rest (channel 0, the channel table, the lifecycle, heartbeats). The public `Connection` of the
 * package builds on it.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import { PROTOCOL_HEADER, ReplyCode } from '../../frames/constants.js';
import { AMQPError, FrameError, ProtocolVersionError } from '../../frames/errors.js';
import type { FieldTable } from '../../frames/field-table.js';
import { heartbeatFrame } from '../../frames/writer.js';
import { encodeMethod } from '../../methods/codec.js';
import type { Method, MethodArgs, MethodName } from '../../methods/types.js';
import type { HandshakeResult } from '../../protocol/client-handshake.js';
import type { Content, SessionHandler } from '../../protocol/events.js';
import { foreignProtocol } from '../../protocol/foreign-peer.js';
import { Session } from '../../protocol/session.js';
import type { Tuned } from '../../protocol/tune.js';
import { Channel } from '../channel/channel.js';
import type { CallOptions, ChannelHost } from '../channel/host.js';
import { NotAmqpError, type ConnectionClosedError } from '../errors.js';
import { safeEmit, warn } from '../events.js';
import type { ResolvedConnectionOptions } from '../options/index.js';
import { redactUrl } from '../options/url.js';
import { Channel0 } from './channel0.js';
import { ChannelTable } from './channel-table.js';
import { Heartbeat, now } from './heartbeat.js';
import { Lifecycle, localClose, type ConnectionState } from './lifecycle.js';
import { Output } from './output.js';

const HEARTBEAT_FRAME = heartbeatFrame();

/**
 * The events of a {@link Connection}, as the argument lists their listeners get:
 * `conn.on('blocked', (reason) => ...)`. A misspelt name or a wrong listener is a compile error.
 */
export interface ConnectionEvents {
  /** The connection ended: undefined after a clean `close()`, else why (ConnectionClosedError). */
  close: [err: ConnectionClosedError | undefined];
  /** The connection ended on an error, or a listener threw; emitted before `close`. */
  error: [err: Error];
  /** connection.blocked: the broker stopped reading our publishes (a resource alarm). */
  blocked: [reason: string];
  /** connection.unblocked: publishing may resume. */
  unblocked: [];
}

/**
 * An open AMQP connection. Events ({@link ConnectionEvents}): `close` (error, or undefined after
 * a clean `close()`), `error`, `blocked` (reason), `unblocked`. A listener that throws is
 * reported, never fatal.
 */
export class ConnectionEngine extends EventEmitter<ConnectionEvents> {
  /** server_properties from connection.start. */
  serverProperties: FieldTable = {};
  /** Negotiated channel_max, frame_max and heartbeat. */
  tuned: Tuned = { channelMax: 0, frameMax: 0, heartbeat: 0 };
  /** The options this connection was opened with (credentials included: do not log them). */
  readonly options: ResolvedConnectionOptions;

  private readonly output: Output;
  private readonly session: Session;
  private readonly lifecycle: Lifecycle;
  private readonly channel0: Channel0;
  private readonly channels = new ChannelTable<Channel>();
  private readonly channelHost: ChannelHost;
  private heartbeat: Heartbeat | null = null;
  private lastRead = now();
  private firstRead = true;

  /** @internal Use `connect()`. */
  constructor(socket: Socket, options: ResolvedConnectionOptions) {
    super();
    this.options = options;
    this.output = new Output(socket, options.writeHighWaterMark, () => this.channels.onDrain());
    this.lifecycle = new Lifecycle(socket, (err, clean, cause) => this.onEnded(err, clean, cause));
    this.channel0 = new Channel0({
      lifecycle: this.lifecycle,
      send0: (name, args) => this.send0(name, args),
      flushNow: () => this.output.flush(),
      onTuned: (t) => this.onTuned(t),
      emitSafe: (event, ...args) => this.emitSafe(event, ...args),
    }, options);
    this.channelHost = this.makeChannelHost();
    this.session = new Session(this.inbound(), { role: 'client', maxBodySize: options.maxMessageSize });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.onSocketGone(err));
    socket.on('close', () => this.onSocketGone(null));
    socket.on('end', () => this.onSocketGone(null));
  }

  /** @internal Run the handshake on a connected socket. */
  async start(): Promise<HandshakeResult> {
    const done = this.channel0.awaitHandshake();
    this.output.writeRaw(Buffer.from(PROTOCOL_HEADER));
    const result = await done;
    this.serverProperties = result.serverProperties;
    return result;
  }

  /** True while the broker has blocked publishing (connection.blocked). */
  get blocked(): boolean {
    return this.channel0.blocked;
  }

  /**
   * Bytes written by this connection and not yet handed to the kernel (the frame writer plus the
   * socket's buffer). `basicPublish` returns false once this passes `writeHighWaterMark`.
   */
  get bufferedAmount(): number {
    return this.output.buffered;
  }

  /** Where the connection is: `handshake`, `open`, `closing` or `closed`. */
  get state(): ConnectionState {
    return this.lifecycle.state;
  }

  /** True while the connection is open: the handshake is done and no close has begun. */
  get isOpen(): boolean {
    return this.lifecycle.state === 'open';
  }

  /** Open a new channel. */
  async channel(options: CallOptions = {}): Promise<Channel> {
    this.channel0.assertOpen();
    const ch = this.channels.add((id) => new Channel(this.channelHost, id));
    try {
      return await ch.open(options);
    } catch (e) {
      if (this.channels.get(ch.id) === ch && this.lifecycle.state === 'open') await ch.close().catch(() => undefined);
      throw e;
    }
  }

  /** connection.update-secret: replace an expiring token (OAuth 2) without reconnecting. */
  async updateSecret(newSecret: string | Uint8Array, reason: string, options: CallOptions = {}): Promise<void> {
    this.channel0.assertOpen();
    await this.channel0.updateSecret(newSecret, reason, options, this.options.rpcTimeout);
  }

  /**
   * Close the connection: connection.close, wait for close-ok (at most closeTimeout, also while
   * the broker has blocked us and reads nothing), then end the socket. Every pending operation
   * rejects with ConnectionClosedError. Any number of concurrent calls share one close.
   */
  close(): Promise<void> {
    return this.lifecycle.close((err) => {
      this.channels.closeAll(err);
      this.channel0.end(err, err);
      try {
        this.send0('connection.close', { replyCode: 200, replyText: 'Goodbye', classId: 0, methodId: 0 });
        this.output.flush();
      } catch {
        // socket gone: the end follows from its close event
      }
    }, this.options.closeTimeout);
  }

  /**
   * `await using conn = await connect(url)`: a graceful {@link close} when the scope ends.
   * Idempotent; resolves (never rejects) once the socket is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- inbound -------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastRead = now();
    if (this.lifecycle.state === 'closed') return;
    if (this.firstRead) {
      this.firstRead = false;
      const foreign = foreignProtocol(chunk);
      if (foreign !== null) {
        // Nothing to say in AMQP to a TLS or HTTP server: report what answered and hang up.
        this.lifecycle.hangUp(new NotAmqpError(foreign, `${this.options.host}:${this.options.port}`), 100);
        return;
      }
    }
    try {
      this.session.push(chunk);
    } catch (e) {
      this.protocolError(e instanceof AMQPError ? e : new AMQPError(`internal error: ${(e as Error).message}`, { cause: e }));
    }
  }

  /** Where the session's events go: channel 0 to its part, the rest to their channel. */
  private inbound(): SessionHandler {
    return {
      onMethod: (channel: number, m: Method, key: number) => {
        if (channel === 0) this.channel0.onMethod(m, key);
        else this.route(channel)?.onMethod(m, key);
      },
      onContent: (channel: number, content: Content) => this.route(channel)?.onContent(content),
      // Any byte read counts as a sign of life (onData); a heartbeat frame carries nothing else.
      onHeartbeat: () => undefined,
    };
  }

  /** The open channel `id`, or a 504 CHANNEL_ERROR; undefined while closing (late frames are dropped). */
  private route(id: number): Channel | undefined {
    const ch = this.channels.get(id);
    if (ch !== undefined && !this.channel0.inHandshake) return ch;
    if (this.lifecycle.state === 'closing') return undefined;
    throw new FrameError(ReplyCode.CHANNEL_ERROR, `frame for channel ${id}, which is not open`);
  }

  /** The peer broke the protocol: connection.close with the fault's code, then drop the socket. */
  private protocolError(err: FrameError | AMQPError): void {
    const state = this.lifecycle.state;
    if (state === 'closed') return;
    const code = err instanceof FrameError ? err.replyCode : ReplyCode.INTERNAL_ERROR;
    // A server that refused our protocol version, or one we share no SASL mechanism with, gets
    // no connection.close: there is no AMQP session to close.
    const speak = !(err instanceof ProtocolVersionError) && (err instanceof FrameError || state !== 'handshake');
    try {
      if (speak) {
        encodeMethod(this.output.writer, 0, 'connection.close', { replyCode: code, replyText: err.message.slice(0, 255), classId: 0, methodId: 0 });
        this.output.flush();
      }
    } catch {
      // nothing more to say to a peer we cannot write to
    }
    const closed = localClose(err.message, 'client', code, err);
    this.lifecycle.hangUp(err instanceof ProtocolVersionError || state === 'handshake' ? err : closed, 100);
  }

  private onSocketGone(err: Error | null): void {
    this.lifecycle.onSocketGone(() => {
      const text = err ? `socket error: ${err.message}` : this.session.midFrame ? 'socket closed in the middle of a frame' : 'socket closed by peer';
      return this.channel0.socketLoss(text, err);
    });
  }

  // ---- tune and heartbeats -------------------------------------------------------------------

  private onTuned(t: Tuned): void {
    this.tuned = t;
    this.channels.channelMax = t.channelMax;
    // frame_max 0 (no limit) still gets a cap on what we accept before allocating (see Session).
    this.session.maxFrameSize = t.frameMax;
    this.output.writer.frameMax = t.frameMax;
    if (t.heartbeat > 0) {
      this.heartbeat = new Heartbeat({
        lastRead: () => this.lastRead,
        lastWrite: () => this.output.lastWrite,
        sendHeartbeat: () => this.output.writeRaw(HEARTBEAT_FRAME),
        onHeartbeatTimeout: (silentMs) => this.lifecycle.abort(localClose(
          `missed heartbeats: nothing received for ${Math.round(silentMs)} ms (heartbeat ${t.heartbeat} s)`, 'socket',
        )),
      }, t.heartbeat);
    }
  }

  // ---- outbound ------------------------------------------------------------------------------

  private send0<N extends MethodName>(name: N, args: MethodArgs<N>): void {
    encodeMethod(this.output.writer, 0, name, args);
    this.output.scheduleFlush();
  }

  /** What every channel of this connection gets from it. */
  private makeChannelHost(): ChannelHost {
    const { output, options, channels } = this;
    return {
      writer: output.writer,
      scheduleFlush: () => output.scheduleFlush(),
      get writeBlocked() { return output.blocked; },
      rpcTimeout: options.rpcTimeout,
      closeTimeout: options.closeTimeout,
      maxMessageSize: options.maxMessageSize,
      maxConfirmsInFlight: options.maxConfirmsInFlight,
      discardInbound: (id) => this.session.discard(id),
      releaseChannel: (id) => {
        channels.release(id);
        this.session.forget(id);
      },
    };
  }

  // ---- the end -------------------------------------------------------------------------------

  /** The connection ended: settle every part, then report. */
  private onEnded(err: ConnectionClosedError, clean: boolean, cause: Error): void {
    this.heartbeat?.stop();
    this.channels.closeAll(err);
    this.channel0.end(err, cause);
    if (!clean) this.emitSafe('error', err);
    this.emitSafe('close', clean ? undefined : err);
  }

  /**
   * Emit without letting a listener's throw escape. 'error' with no listener is dropped, never
   * thrown as EventEmitter would: the 'close' event and the rejected promises carry it.
   */
  private emitSafe(event: string, ...args: unknown[]): void {
    safeEmit(this, event, args, (e) => {
      if (this.listenerCount('error') > 0) safeEmit(this, 'error', [e], warn);
      else warn(e);
    });
  }

  /** Connection summary without credentials. */
  [inspect.custom](): string {
    const o = this.options;
    const url = redactUrl(`${o.tls ? 'amqps' : 'amqp'}://${encodeURIComponent(o.username)}:x@${o.host}:${o.port}/${encodeURIComponent(o.vhost)}`);
    return `Connection { url: '${url}', state: '${this.lifecycle.state}', channels: ${this.channels.size}, blocked: ${this.blocked} }`;
  }
}
