/**
 * The inbound half of an AMQP session, without I/O: socket chunks go in, per-channel events come
 * out (events.ts). One frame parser, one method decoder and one content assembler per channel
 * serve the client and, in the server role, the fake brokers and any other peer that listens to
 * a client.
 *
 *   push(chunk) -> FrameParser -> channel 0: onMethod / onHeartbeat
 *                              -> channel n: method frame -> content method? begin assembly
 *                                                          -> otherwise onMethod
 *                                            header, body frames -> assembly -> onContent
 *
 * The role decides which content methods are legal: a server sends basic.deliver, basic.get-ok
 * and basic.return; a client sends basic.publish. In the server role the client's 8-byte protocol
 * header comes before the first frame.
 *
 * The session knows nothing of which channels are open: its owner checks that in its handlers
 * and calls `forget(channel)` when a channel is released, so a reused channel id starts clean.
 * @packageDocumentation
 */
import { DEFAULT_INBOUND_FRAME_CAP, FrameType, PROTOCOL_HEADER, ReplyCode } from '../frames/constants.js';
import { FrameError, ProtocolVersionError } from '../frames/errors.js';
import { FrameParser, type FrameHandler } from '../frames/parser.js';
import { decodeMethod } from '../methods/codec.js';
import { methodKey } from '../methods/definitions.js';
import { BASIC_DELIVER_KEY, BASIC_PUBLISH_KEY, DeliverCache, decodeBasicDeliver, decodeBasicPublish } from '../methods/fast-path.js';
import type { DecodedArgs } from '../methods/types.js';
import { ContentAssembler } from './content-assembler.js';
import type { ContentMethod, SessionHandler } from './events.js';

/** Which side of the connection the session listens for: a client hears a server, and back. */
export type SessionRole = 'client' | 'server';

/** How a session is set up. */
export interface SessionOptions {
  /** `client`: the peer is a server. `server`: the peer is a client, which opens with its protocol header. */
  readonly role: SessionRole;
  /** Largest body size a content header may announce (bytes); more is a 501 before anything is allocated. */
  readonly maxBodySize: number;
  /** Largest inbound frame before tune (see `maxFrameSize`). Default DEFAULT_INBOUND_FRAME_CAP. */
  readonly maxFrameSize?: number;
  /** Server role: the client's protocol header, once it is known to be AMQP 0-9-1. */
  readonly onProtocolHeader?: (header: Buffer) => void;
  /** Sees every frame, raw, before the session handles it (a trace, a test's frame log). */
  readonly observer?: FrameHandler;
}

const BASIC_GET_OK_KEY = methodKey(60, 71);
const BASIC_RETURN_KEY = methodKey(60, 50);
const CHANNEL_CLOSE_KEY = methodKey(20, 40);
const CHANNEL_CLOSE_OK_KEY = methodKey(20, 41);
const HEADER_SIZE = PROTOCOL_HEADER.length;

/** What one channel keeps between frames. */
class ChannelInbound {
  readonly assembler: ContentAssembler<ContentMethod>;
  /** Strings of the previous basic.deliver (or publish), reused when the next one repeats them. */
  readonly deliverCache = new DeliverCache();
  constructor(maxBodySize: number) {
    this.assembler = new ContentAssembler(maxBodySize);
  }
}

function unexpected(message: string): FrameError {
  return new FrameError(ReplyCode.UNEXPECTED_FRAME, message);
}

/**
 * An incremental inbound session. Every fault is a FrameError carrying the reply code to close the
 * connection with (see FrameParser, decodeMethod and ContentAssembler for the codes); after one,
 * the session stays failed and `push` throws it again.
 */
export class Session implements FrameHandler {
  private readonly parser: FrameParser;
  private readonly role: SessionRole;
  private readonly maxBodySize: number;
  private readonly observer: FrameHandler | undefined;
  private readonly channels = new Map<number, ChannelInbound>();
  /** Channels that sent channel.close: only close and close-ok still count on them. */
  private readonly discarding = new Set<number>();
  /** The channel of the last content frame, so a run of frames on one channel skips the map. */
  private lastId = -1;
  private last: ChannelInbound | null = null;
  /** Server role: bytes of the client's protocol header received so far (null once it is complete). */
  private header: Buffer | null;
  private headerLen = 0;
  private failed: Error | null = null;

  constructor(private readonly handler: SessionHandler, private readonly options: SessionOptions) {
    this.role = options.role;
    this.maxBodySize = options.maxBodySize;
    this.observer = options.observer;
    this.parser = new FrameParser(options.maxFrameSize ?? DEFAULT_INBOUND_FRAME_CAP);
    this.header = options.role === 'server' ? Buffer.alloc(HEADER_SIZE) : null;
  }

  /**
   * Largest acceptable frame, header and frame-end included. Set it to the negotiated frame_max
   * after tune; 0 (no limit) keeps the default cap, so a peer still cannot make us allocate 4 GiB.
   */
  get maxFrameSize(): number {
    return this.parser.maxFrameSize;
  }

  set maxFrameSize(size: number) {
    this.parser.maxFrameSize = size === 0 ? DEFAULT_INBOUND_FRAME_CAP : size;
  }

  /** True while part of a frame (or of the protocol header) is buffered: EOF now would cut it. */
  get midFrame(): boolean {
    return this.parser.midFrame || (this.header !== null && this.headerLen > 0);
  }

  /** Feed one chunk of the peer's byte stream. Throws FrameError (or ProtocolVersionError). */
  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    if (this.header !== null) {
      const n = this.protocolHeader(chunk);
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.parser.push(chunk, this);
  }

  /**
   * The owner sent channel.close on `channel`. From now on every frame of that channel except
   * channel.close and channel.close-ok is dropped unparsed, content included (spec 1.5.2.5: the
   * peer may still be sending what it sent before it saw the close), until `forget(channel)`.
   */
  discard(channel: number): void {
    this.discarding.add(channel);
    this.channels.get(channel)?.assembler.reset();
  }

  /** Drop what the session keeps for `channel` (its half-assembled message): the channel was released. */
  forget(channel: number): void {
    this.channels.delete(channel);
    this.discarding.delete(channel);
    if (channel === this.lastId) {
      this.lastId = -1;
      this.last = null;
    }
  }

  /** @internal FrameHandler: one whole frame from the parser. */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    const observer = this.observer;
    if (observer !== undefined) observer.onFrame(type, channel, buf, start, end);
    if (channel === 0) return this.onChannel0(type, buf, start, end);
    if (this.discarding.size > 0 && this.discarding.has(channel)) return this.onDiscarded(channel, type, buf, start, end);
    if (type === FrameType.METHOD) return this.onMethodFrame(channel, buf, start, end);
    // The parser lets no other type through, and no heartbeat off channel 0.
    const a = this.inbound(channel).assembler;
    const done = type === FrameType.HEADER ? a.header(buf, start, end) : a.bodyFrame(buf, start, end);
    if (done !== null) this.handler.onContent(channel, done);
  }

  private onChannel0(type: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameType.HEARTBEAT) return this.handler.onHeartbeat();
    if (type !== FrameType.METHOD) throw unexpected(`content frame (type ${type}) on channel 0`);
    const m = decodeMethod(buf, start, end);
    this.handler.onMethod(0, m, methodKey(m.classId, m.methodId));
  }

  private onMethodFrame(channel: number, buf: Buffer, start: number, end: number): void {
    // The per-message paths, a consumer's deliver and a server's publish: no table walk (fast-path.ts).
    if (end - start >= 4) {
      const key = buf.readUInt32BE(start);
      if (key === BASIC_DELIVER_KEY && this.role === 'client') {
        const ch = this.inbound(channel);
        ch.assembler.begin({ name: 'basic.deliver', args: decodeBasicDeliver(buf, start, end, ch.deliverCache) }, 60);
        return;
      }
      if (key === BASIC_PUBLISH_KEY && this.role === 'server') {
        const ch = this.inbound(channel);
        ch.assembler.begin({ name: 'basic.publish', args: decodeBasicPublish(buf, start, end, ch.deliverCache) }, 60);
        return;
      }
    }
    const m = decodeMethod(buf, start, end);
    const key = methodKey(m.classId, m.methodId);
    if (key === BASIC_GET_OK_KEY || key === BASIC_RETURN_KEY || key === BASIC_PUBLISH_KEY || key === BASIC_DELIVER_KEY) {
      const fromServer = key !== BASIC_PUBLISH_KEY;
      if (fromServer !== (this.role === 'client')) {
        throw unexpected(`${m.name} on channel ${channel}: only a ${fromServer ? 'server' : 'client'} sends it`);
      }
      // Only get-ok and return get here: the fast paths above took deliver and publish.
      this.inbound(channel).assembler.begin(
        key === BASIC_GET_OK_KEY ? { name: 'basic.get-ok', args: m.args as DecodedArgs<'basic.get-ok'> }
          : { name: 'basic.return', args: m.args as DecodedArgs<'basic.return'> },
        60,
      );
      return;
    }
    const ch = channel === this.lastId ? this.last : this.channels.get(channel);
    if (ch !== undefined && ch !== null) ch.assembler.assertIdle(m.name);
    this.handler.onMethod(channel, m, key);
  }

  private onDiscarded(channel: number, type: number, buf: Buffer, start: number, end: number): void {
    if (type !== FrameType.METHOD || end - start < 4) return;
    const key = buf.readUInt32BE(start);
    if (key === CHANNEL_CLOSE_KEY || key === CHANNEL_CLOSE_OK_KEY) this.handler.onMethod(channel, decodeMethod(buf, start, end), key);
  }

  private inbound(id: number): ChannelInbound {
    if (id === this.lastId) return this.last!;
    let ch = this.channels.get(id);
    if (ch === undefined) {
      ch = new ChannelInbound(this.maxBodySize);
      this.channels.set(id, ch);
    }
    this.lastId = id;
    this.last = ch;
    return ch;
  }

  /** Server role: gather the client's protocol header; returns how many bytes of `chunk` it took. */
  private protocolHeader(chunk: Buffer): number {
    const header = this.header!;
    const n = Math.min(HEADER_SIZE - this.headerLen, chunk.length);
    chunk.copy(header, this.headerLen, 0, n);
    this.headerLen += n;
    if (this.headerLen < HEADER_SIZE) return n;
    this.header = null;
    this.headerLen = 0;
    if (!header.equals(PROTOCOL_HEADER)) {
      // A broker answers with the header it speaks and closes; the owner does that on this error.
      this.failed = new ProtocolVersionError(Uint8Array.prototype.slice.call(header), 'client');
      throw this.failed;
    }
    this.options.onProtocolHeader?.(header);
    return n;
  }
}
