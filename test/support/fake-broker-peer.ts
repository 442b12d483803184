/**
 * One client connection as the fake broker sees it: a script pulls what the client sent
 * (`expect`, `next`, `waitFor`) and writes what a broker would, or would never, send (`send`,
 * `deliver`, `sendRaw`). Everything is encoded and decoded with amqp-wire's own codec.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameType } from '../../src/frames/constants.js';
import type { BasicProperties } from '../../src/frames/properties.js';
import { writeContentHeader } from '../../src/frames/properties.js';
import { writeContent } from '../../src/frames/content.js';
import { Writer } from '../../src/frames/writer.js';
import { encodeMethod } from '../../src/methods/codec.js';
import type { MethodArgs, MethodName } from '../../src/methods/types.js';
import { describeInbound, InboundDecoder, type Inbound, type InboundMethod, type ReceivedFrame } from './fake-broker-inbound.js';
import { AUTO_REPLIES, runHandshake, type AutoReplyName, type HandshakeOptions, type HandshakeResult } from './fake-broker-scripts.js';

/** A script's expectation about the client's frames did not hold. */
export class FakeExpectationError extends Error {
  override name = 'FakeExpectationError';
}

/** Options of `expect`, `next` and `waitFor`. */
export interface PullOptions {
  /** ms to wait; default 2000. */
  timeout?: number;
  /** Only accept a method on this channel. */
  channel?: number;
  /** Return heartbeats too (by default they are skipped). */
  heartbeats?: boolean;
}

/** Fields of a basic.deliver sent by `deliver`. */
export interface DeliverFields {
  consumerTag: string;
  deliveryTag: number;
  redelivered?: boolean;
  exchange?: string;
  routingKey?: string;
}

/** How the socket ended, as the fake saw it. */
export interface PeerClosed {
  /** `performance.now()` of the socket's 'close' event. */
  at: number;
  /** `performance.now()` of the client's FIN, if it ended cleanly first. */
  endAt: number | undefined;
  hadError: boolean;
}

type Handler = (m: InboundMethod, peer: FakePeer) => void;

const DEFAULT_TIMEOUT = 2000;

/** The broker side of one accepted connection. */
export class FakePeer {
  /** The 8 bytes the client opened with (normally `AMQP 0 0 9 1`). */
  protocolHeader: Buffer | null = null;
  /** frame_max used to cut bodies in `deliver`/`sendContent`; `handshake` sets it from its tune. */
  frameMax = 131072;
  /** Resolves once the socket is closed. */
  readonly closed: Promise<PeerClosed>;
  /** `performance.now()` of the fake's last write to the client (NaN before the first). */
  lastWriteAt = Number.NaN;
  /** Errors thrown by auto-reply handlers. */
  readonly handlerErrors: Error[] = [];

  private readonly decoder: InboundDecoder;
  private readonly inbox: Inbound[] = [];
  private readonly handlers = new Map<string, Handler>();
  private waiter: { wake: () => void } | null = null;
  private readonly seenWaiters = new Set<() => void>();
  private headerWaiters: Array<(h: Buffer | null) => void> = [];
  private batching: Writer | null = null;
  private endAt: number | undefined;
  private isClosed = false;
  private tags = 0;

  constructor(readonly socket: Socket, readonly index: number) {
    this.decoder = new InboundDecoder((e) => this.onInbound(e), (h) => this.onProtocolHeader(h));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => { this.endAt = performance.now(); });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.once('close', (hadError) => {
        this.isClosed = true;
        for (const w of this.headerWaiters) w(null);
        this.headerWaiters = [];
        this.waiter?.wake();
        for (const w of [...this.seenWaiters]) w();
        resolve({ at: performance.now(), endAt: this.endAt, hadError });
      });
    });
  }

  /** Every frame the client sent, in order, with arrival times. */
  get received(): readonly ReceivedFrame[] {
    return this.decoder.frames;
  }

  /** Decoded methods the client sent (including those answered by auto-replies). */
  get methods(): InboundMethod[] {
    return this.decoder.frames.flatMap((f) => (f.method ? [{ kind: 'method', channel: f.channel, name: f.method.name, args: f.method.args, at: f.at } as InboundMethod] : []));
  }

  /** True once the socket has closed. */
  get isDestroyed(): boolean {
    return this.isClosed;
  }

  /** Resolves with the client's protocol header (null if the socket closed first). */
  header(): Promise<Buffer | null> {
    if (this.protocolHeader) return Promise.resolve(this.protocolHeader);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => this.headerWaiters.push(resolve));
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  private onProtocolHeader(header: Buffer): void {
    this.protocolHeader = header;
    for (const w of this.headerWaiters) w(header);
    this.headerWaiters = [];
  }

  private onInbound(entry: Inbound): void {
    // A client that opens with another protocol header gets no script: drop it, as a broker would.
    if (entry.kind === 'fault' && this.protocolHeader === null) this.socket.destroy();
    for (const w of [...this.seenWaiters]) w();
    if (entry.kind === 'method') {
      const handler = this.handlers.get(entry.name);
      if (handler) {
        try {
          handler(entry, this);
        } catch (e) {
          this.handlerErrors.push(e as Error);
        }
        return;
      }
    }
    this.inbox.push(entry);
    this.waiter?.wake();
  }

  // ---- reading -------------------------------------------------------------------------------

  /** The next entry, or null on timeout or when the socket closed with nothing left. */
  private async pull(deadline: number): Promise<Inbound | null> {
    for (;;) {
      const e = this.inbox.shift();
      if (e !== undefined) return e;
      const left = deadline - performance.now();
      if (this.isClosed || left <= 0) return null;
      if (this.waiter) throw new FakeExpectationError('two reads of one fake peer at once');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.waiter = null; resolve(); }, left);
        this.waiter = { wake: () => { clearTimeout(timer); this.waiter = null; resolve(); } };
      });
    }
  }

  /** The next entry the client sent (heartbeats skipped unless asked for). Throws on timeout. */
  async next(o: PullOptions = {}): Promise<Inbound> {
    const timeout = o.timeout ?? DEFAULT_TIMEOUT;
    const deadline = performance.now() + timeout;
    for (;;) {
      const e = await this.pull(deadline);
      if (e === null) throw this.nothingCame('anything', timeout);
      if (e.kind === 'heartbeat' && !o.heartbeats) continue;
      return e;
    }
  }

  /**
   * The next method must be `name` (on `channel`, if given); heartbeats in between are skipped.
   * Anything else, a timeout or the socket closing throws FakeExpectationError.
   */
  async expect<N extends MethodName>(name: N, o: PullOptions = {}): Promise<InboundMethod<N>> {
    const e = await this.next({ ...o, heartbeats: false });
    if (e.kind === 'method' && e.name === name && (o.channel === undefined || e.channel === o.channel)) return e as InboundMethod<N>;
    throw new FakeExpectationError(`expected ${name}${o.channel === undefined ? '' : ` on channel ${o.channel}`}, got ${describeInbound(e)}`);
  }

  /** Skip entries until method `name` arrives (on `channel`, if given); returns it. */
  async waitFor<N extends MethodName>(name: N, o: PullOptions = {}): Promise<InboundMethod<N>> {
    const timeout = o.timeout ?? DEFAULT_TIMEOUT;
    const deadline = performance.now() + timeout;
    for (;;) {
      const e = await this.pull(deadline);
      if (e === null) throw this.nothingCame(name, timeout);
      if (e.kind === 'method' && e.name === name && (o.channel === undefined || e.channel === o.channel)) return e as InboundMethod<N>;
    }
  }

  /**
   * Resolves once the client has sent `count` (default 1) methods named `name` in all, whether an
   * auto-reply answered them or they wait in the inbox (which this does not touch).
   */
  seen(name: MethodName, o: PullOptions & { count?: number } = {}): Promise<void> {
    const timeout = o.timeout ?? DEFAULT_TIMEOUT;
    const count = o.count ?? 1;
    const enough = (): boolean => this.methods.filter((m) => m.name === name && (o.channel === undefined || m.channel === o.channel)).length >= count;
    if (enough()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.seenWaiters.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (enough()) done();
        else if (this.isClosed) done(this.nothingCame(name, timeout));
      };
      const timer = setTimeout(() => done(this.nothingCame(name, timeout)), timeout);
      this.seenWaiters.add(check);
    });
  }

  /** Empty the inbox; returns what was in it. */
  drain(): Inbound[] {
    return this.inbox.splice(0);
  }

  /** Fails if the client sends anything but heartbeats within `ms`. */
  async expectNothing(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    for (;;) {
      const e = await this.pull(deadline);
      if (e === null) return;
      if (e.kind !== 'heartbeat') throw new FakeExpectationError(`expected nothing for ${ms} ms, got ${describeInbound(e)}`);
    }
  }

  private nothingCame(what: string, timeout: number): FakeExpectationError {
    const why = this.isClosed ? 'the client closed the socket' : `nothing came within ${timeout} ms`;
    return new FakeExpectationError(`expected ${what}, but ${why}`);
  }

  // ---- scripted replies ----------------------------------------------------------------------

  /** Answer method `name` with `handler` whenever it arrives, instead of queueing it. */
  handle<N extends MethodName>(name: N, handler: (m: InboundMethod<N>, peer: FakePeer) => void): this {
    this.handlers.set(name, handler as Handler);
    return this;
  }

  /** Stop answering `names` automatically (all handlers when none given). */
  unhandle(...names: MethodName[]): this {
    if (names.length === 0) this.handlers.clear();
    for (const n of names) this.handlers.delete(n);
    return this;
  }

  /**
   * Answer common synchronous methods the way a broker would: channel.open/close, queue.declare
   * (server-named when the name is empty), queue.bind, exchange.declare, basic.qos,
   * basic.consume (generated tag when none was given), basic.cancel, confirm.select,
   * connection.close. `names` limits it to some of them.
   */
  autoReply(names: readonly AutoReplyName[] = Object.keys(AUTO_REPLIES) as AutoReplyName[]): this {
    for (const n of names) this.handlers.set(n, AUTO_REPLIES[n] as Handler);
    return this;
  }

  /** A fresh name like `amq.ctag-3` for server-named things. */
  generateName(prefix: string): string {
    return `${prefix}-${++this.tags}`;
  }

  /**
   * The server half of the handshake: connection.start, optional secure rounds, tune, open-ok.
   * Checks each client reply and returns them.
   */
  handshake(o: HandshakeOptions = {}): Promise<HandshakeResult> {
    return runHandshake(this, o);
  }

  // ---- writing -------------------------------------------------------------------------------

  /** Write everything `fn` sends in a single socket write (one TCP segment on loopback). */
  batch(fn: () => void): void {
    const outer = this.batching;
    const w = outer ?? new Writer(16 * 1024, 0);
    this.batching = w;
    try {
      fn();
    } finally {
      this.batching = outer;
    }
    if (outer === null) this.write(w.flush());
  }

  private out(fill: (w: Writer) => void): void {
    if (this.batching) return fill(this.batching);
    const w = new Writer(1024, 0);
    fill(w);
    this.write(w.flush());
  }

  private write(bytes: Buffer): void {
    if (bytes.length === 0 || this.socket.destroyed || !this.socket.writable) return;
    this.lastWriteAt = performance.now();
    this.socket.write(bytes);
  }

  /** Send method `name` on `channel`. */
  send<N extends MethodName>(channel: number, name: N, args: MethodArgs<N>): void {
    this.out((w) => encodeMethod(w, channel, name, args));
  }

  /** Send a content header (class 60 unless given) and body frames cut at `frameMax`. */
  sendContent(channel: number, body: Uint8Array | string, properties?: BasicProperties, o: { classId?: number; frameMax?: number } = {}): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    this.out((w) => {
      const keep = w.frameMax;
      w.frameMax = o.frameMax ?? this.frameMax;
      try {
        writeContent(w, channel, o.classId ?? 60, bytes, properties);
      } finally {
        w.frameMax = keep;
      }
    });
  }

  /** Send only a content header frame, announcing `bodySize` bytes. */
  sendHeader(channel: number, bodySize: number, properties?: BasicProperties, classId = 60): void {
    this.out((w) => writeContentHeader(w, channel, classId, bodySize, properties));
  }

  /** Send one body frame carrying `bytes`. */
  sendBody(channel: number, bytes: Uint8Array | string): void {
    this.out((w) => {
      const start = w.startFrame(FrameType.BODY, channel);
      w.bytes(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
      w.endFrame(start);
    });
  }

  /** basic.deliver with its content, in one write. */
  deliver(channel: number, fields: DeliverFields, body: Uint8Array | string, properties?: BasicProperties): void {
    this.batch(() => {
      this.send(channel, 'basic.deliver', {
        consumerTag: fields.consumerTag, deliveryTag: fields.deliveryTag, redelivered: fields.redelivered ?? false,
        exchange: fields.exchange ?? '', routingKey: fields.routingKey ?? '',
      });
      this.sendContent(channel, body, properties);
    });
  }

  /** A heartbeat frame (on channel 0 unless told otherwise). */
  sendHeartbeat(channel = 0): void {
    this.out((w) => {
      const start = w.startFrame(FrameType.HEARTBEAT, channel);
      w.endFrame(start);
    });
  }

  /** Raw bytes, written as given. */
  sendRaw(bytes: Uint8Array): void {
    this.out((w) => w.bytes(bytes));
  }

  /** Send a heartbeat every `ms` until the returned function is called or the socket closes. */
  heartbeatEvery(ms: number): () => void {
    const timer = setInterval(() => this.sendHeartbeat(), ms);
    const stop = (): void => clearInterval(timer);
    void this.closed.then(stop);
    return stop;
  }

  /** Stop every auto-reply and wait until the client drops the socket. */
  silence(): Promise<PeerClosed> {
    this.handlers.clear();
    return this.closed;
  }

  /** Half-close: send FIN, keep reading. */
  end(): void {
    this.socket.end();
  }

  /** Drop the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
