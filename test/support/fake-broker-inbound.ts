/**
 * The fake broker's ear: src/protocol's session in the server role turns the client's byte stream
 * (protocol header first) into a log of raw frames and a stream of decoded entries: a method with
 * its content assembled (basic.publish + header + body frames become one entry), a heartbeat, or
 * a protocol fault.
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import { FRAME_HEADER_SIZE, FrameType } from '../../src/frames/constants.js';
import type { BasicProperties } from '../../src/frames/properties.js';
import { frameEnd, frameHeader } from '../../src/frames/writer.js';
import { METHOD_BY_NAME } from '../../src/methods/codec.js';
import type { DecodedArgs, Method, MethodName } from '../../src/methods/types.js';
import type { Content, SessionHandler } from '../../src/protocol/events.js';
import { Session } from '../../src/protocol/session.js';

/** One frame exactly as the client sent it, with the time its chunk arrived. */
export interface ReceivedFrame {
  type: number;
  channel: number;
  /** The whole frame: header, payload and frame-end. */
  bytes: Buffer;
  /** `performance.now()` when the socket chunk holding the frame's last byte arrived. */
  at: number;
  /** Set for method frames (for basic.publish, once its content is complete). */
  method?: Method;
}

/** A decoded method from the client; content methods carry their properties and body. */
export type InboundMethod<N extends MethodName = MethodName> = N extends MethodName
  ? {
    readonly kind: 'method';
    readonly channel: number;
    readonly name: N;
    readonly args: DecodedArgs<N>;
    readonly at: number;
    /** basic.publish: the content header's properties. */
    readonly properties?: BasicProperties;
    /** basic.publish: the body, all body frames joined. */
    readonly body?: Buffer;
    /** basic.publish on a channel in confirm mode: the sequence number the broker gives it. */
    readonly seq?: number;
  }
  : never;

/** A heartbeat frame from the client. */
export interface InboundHeartbeat {
  readonly kind: 'heartbeat';
  readonly channel: number;
  readonly at: number;
}

/** The client sent bytes the fake cannot decode (the stream is not read any further). */
export interface InboundFault {
  readonly kind: 'fault';
  readonly error: Error;
  readonly at: number;
}

/** Anything the script can pull from the peer's inbox. */
export type Inbound = InboundMethod | InboundHeartbeat | InboundFault;

/** RabbitMQ's own limit on a message body. */
const MAX_BODY_SIZE = 512 * 1024 * 1024;

/**
 * Decodes client frames with a server-role Session. A frame out of the method -> header -> body
 * order is reported as a fault, with the FrameError a broker would close the connection with.
 */
export class InboundDecoder implements SessionHandler {
  /** Every frame, in arrival order. */
  readonly frames: ReceivedFrame[] = [];
  private readonly session: Session;
  /** Channels in confirm mode, with the next publish sequence number. */
  private readonly confirmSeq = new Map<number, number>();
  /** The last method frame of each channel: a content method's entry is completed from it. */
  private readonly methodFrames = new Map<number, ReceivedFrame>();
  private current: ReceivedFrame | null = null;
  private failed = false;
  private chunkAt = 0;

  /** `onProtocolHeader` gets the client's 8-byte protocol header before any frame. */
  constructor(private readonly emit: (entry: Inbound) => void, onProtocolHeader: (header: Buffer) => void) {
    this.session = new Session(this, {
      role: 'server',
      maxBodySize: MAX_BODY_SIZE,
      onProtocolHeader: (h) => onProtocolHeader(Buffer.from(h)),
      observer: { onFrame: (type, channel, buf, start, end) => this.log(type, channel, buf, start, end) },
    });
  }

  /** Feed a chunk of the client's stream, protocol header included. */
  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunkAt = performance.now();
    try {
      this.session.push(chunk);
    } catch (e) {
      this.failed = true;
      this.emit({ kind: 'fault', error: e as Error, at: this.chunkAt });
    }
  }

  /** True while a frame is only partly received. */
  get midFrame(): boolean {
    return this.session.midFrame;
  }

  private log(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    const frame: ReceivedFrame = { type, channel, bytes: frameBytes(type, channel, buf, start, end), at: this.chunkAt };
    this.frames.push(frame);
    this.current = frame;
    if (type === FrameType.METHOD) this.methodFrames.set(channel, frame);
  }

  /** SessionHandler */
  onHeartbeat(): void {
    this.emit({ kind: 'heartbeat', channel: 0, at: this.current!.at });
  }

  /** SessionHandler */
  onMethod(channel: number, method: Method): void {
    const frame = this.current!;
    frame.method = method;
    if (method.name === 'confirm.select') this.confirmSeq.set(channel, this.confirmSeq.get(channel) ?? 1);
    if (method.name === 'channel.close-ok' || method.name === 'channel.close') {
      this.confirmSeq.delete(channel);
      this.methodFrames.delete(channel);
    }
    this.emit({ kind: 'method', channel, name: method.name, args: method.args, at: frame.at } as InboundMethod);
  }

  /** SessionHandler: a basic.publish with all its content (the only content a client sends). */
  onContent(channel: number, content: Content): void {
    const frame = this.methodFrames.get(channel)!;
    const def = METHOD_BY_NAME.get(content.method.name)!;
    frame.method = { name: def.name, classId: def.classId, methodId: def.methodId, args: content.method.args } as Method;
    const seq = this.confirmSeq.get(channel);
    if (seq !== undefined) this.confirmSeq.set(channel, seq + 1);
    const entry = {
      kind: 'method', channel, name: def.name, args: content.method.args, at: frame.at,
      // The body may be a view of the socket chunk: keep a copy of its own.
      properties: content.properties, body: Buffer.from(content.body), ...(seq === undefined ? {} : { seq }),
    };
    this.emit(entry as InboundMethod);
  }
}

/**
 * The frame's bytes. The parser hands out the payload only (and has checked the frame-end), so
 * rebuild the frame around it.
 */
function frameBytes(type: number, channel: number, buf: Buffer, start: number, end: number): Buffer {
  const size = end - start;
  const out = Buffer.allocUnsafe(size + FRAME_HEADER_SIZE + 1);
  frameHeader(out, 0, type, channel, size);
  buf.copy(out, FRAME_HEADER_SIZE, start, end);
  frameEnd(out, FRAME_HEADER_SIZE + size);
  return out;
}

/** A one-line description of an inbox entry, for failure messages. */
export function describeInbound(e: Inbound): string {
  if (e.kind === 'heartbeat') return `heartbeat on channel ${e.channel}`;
  if (e.kind === 'fault') return `undecodable client bytes: ${e.error.message}`;
  return `${e.name} on channel ${e.channel} ${JSON.stringify(e.args, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}
