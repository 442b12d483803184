/**
 * The fake broker's ear: turns the client's byte stream (after its 8-byte protocol header) into
 * a log of raw frames and a stream of decoded entries, a method with its content assembled
 * (basic.publish + header + body frames become one entry), a heartbeat, or a protocol fault.
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import { FrameType } from '../../src/frames/constants.js';
import { FrameParser } from '../../src/frames/parser.js';
import { decodeContentHeader, type BasicProperties } from '../../src/frames/properties.js';
import { decodeMethod } from '../../src/methods/codec.js';
import type { DecodedArgs, Method, MethodName } from '../../src/methods/types.js';

/** One frame exactly as the client sent it, with the time its chunk arrived. */
export interface ReceivedFrame {
  type: number;
  channel: number;
  /** The whole frame: header, payload and frame-end. */
  bytes: Buffer;
  /** `performance.now()` when the socket chunk holding the frame's last byte arrived. */
  at: number;
  /** Set for method frames. */
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

interface Assembly {
  method: Method;
  at: number;
  seq: number | undefined;
  properties: BasicProperties | null;
  bodySize: number;
  chunks: Buffer[];
  received: number;
}

/**
 * Decodes client frames. Content methods wait on their channel for a header and body frames; a
 * frame out of that order is reported as a fault (the client broke the protocol).
 */
export class InboundDecoder {
  /** Every frame, in arrival order. */
  readonly frames: ReceivedFrame[] = [];
  private readonly parser = new FrameParser();
  private readonly content = new Map<number, Assembly>();
  /** Channels in confirm mode, with the next publish sequence number. */
  private readonly confirmSeq = new Map<number, number>();
  private failed = false;
  private chunkAt = 0;

  constructor(private readonly emit: (entry: Inbound) => void) {}

  /** Feed a chunk of the client's stream (protocol header already removed). */
  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunkAt = performance.now();
    try {
      this.parser.push(chunk, this);
    } catch (e) {
      this.failed = true;
      this.emit({ kind: 'fault', error: e as Error, at: this.chunkAt });
    }
  }

  /** True while a frame is only partly received. */
  get midFrame(): boolean {
    return this.parser.midFrame;
  }

  /** FrameHandler. */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    const at = this.chunkAt;
    const frame: ReceivedFrame = { type, channel, bytes: frameBytes(type, channel, buf, start, end), at };
    this.frames.push(frame);
    switch (type) {
      case FrameType.HEARTBEAT:
        this.emit({ kind: 'heartbeat', channel, at });
        return;
      case FrameType.METHOD: {
        const method = decodeMethod(buf, start, end);
        frame.method = method;
        return this.onMethod(channel, method, at);
      }
      case FrameType.HEADER:
        return this.onHeader(channel, buf, start, end);
      case FrameType.BODY:
        return this.onBody(channel, buf, start, end);
    }
  }

  private onMethod(channel: number, method: Method, at: number): void {
    if (this.content.has(channel)) throw new Error(`${method.name} on channel ${channel} while publish content was expected`);
    if (method.name === 'confirm.select') this.confirmSeq.set(channel, this.confirmSeq.get(channel) ?? 1);
    if (method.name === 'channel.close-ok' || method.name === 'channel.close') this.confirmSeq.delete(channel);
    if (method.name === 'basic.publish') {
      const next = this.confirmSeq.get(channel);
      if (next !== undefined) this.confirmSeq.set(channel, next + 1);
      this.content.set(channel, { method, at, seq: next, properties: null, bodySize: 0, chunks: [], received: 0 });
      return;
    }
    this.emit({ kind: 'method', channel, name: method.name, args: method.args, at } as InboundMethod);
  }

  private onHeader(channel: number, buf: Buffer, start: number, end: number): void {
    const a = this.content.get(channel);
    if (a === undefined || a.properties !== null) throw new Error(`unexpected content header on channel ${channel}`);
    const h = decodeContentHeader(buf, start, end);
    a.properties = h.properties;
    a.bodySize = h.bodySize;
    if (h.bodySize === 0) this.finish(channel, a);
  }

  private onBody(channel: number, buf: Buffer, start: number, end: number): void {
    const a = this.content.get(channel);
    if (a === undefined || a.properties === null) throw new Error(`unexpected body frame on channel ${channel}`);
    a.chunks.push(Buffer.from(buf.subarray(start, end)));
    a.received += end - start;
    if (a.received > a.bodySize) throw new Error(`body overrun on channel ${channel}: ${a.received} > ${a.bodySize}`);
    if (a.received === a.bodySize) this.finish(channel, a);
  }

  private finish(channel: number, a: Assembly): void {
    this.content.delete(channel);
    const entry = {
      kind: 'method', channel, name: a.method.name, args: a.method.args, at: a.at,
      properties: a.properties ?? {}, body: Buffer.concat(a.chunks), ...(a.seq === undefined ? {} : { seq: a.seq }),
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
  const out = Buffer.alloc(size + 8);
  out[0] = type;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(size, 3);
  buf.copy(out, 7, start, end);
  out[size + 7] = 0xce;
  return out;
}

/** A one-line description of an inbox entry, for failure messages. */
export function describeInbound(e: Inbound): string {
  if (e.kind === 'heartbeat') return `heartbeat on channel ${e.channel}`;
  if (e.kind === 'fault') return `undecodable client bytes: ${e.error.message}`;
  return `${e.name} on channel ${e.channel} ${JSON.stringify(e.args, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}
