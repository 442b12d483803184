/**
 * The incremental frame parser.
 *
 *   0      1         3             7                  size+7      size+8
 *   +------+---------+-------------+  +-------------+  +-----------+
 *   | type | channel |    size     |  |   payload   |  | frame-end |
 *   +------+---------+-------------+  +-------------+  +-----------+
 *    octet   short       long          size octets       0xCE
 *
 * Socket chunks of any size go in; whole frames come out through a callback as (buffer, start,
 * end) views, so a frame that lies whole inside one chunk is never copied. Only a frame split
 * across chunks is gathered, into a buffer of exactly its declared size, allocated after that size
 * has been checked against the limit. A 7-byte header may itself arrive in pieces.
 * @packageDocumentation
 */
import { DEFAULT_INBOUND_FRAME_CAP, FRAME_END, FRAME_HEADER_SIZE, FrameType, PROTOCOL_HEADER } from './constants.js';
import { frameError, ProtocolVersionError } from './errors.js';

/** Receives whole frames. The payload is `buf[start, end)`; it stays valid after the call. */
export interface FrameHandler {
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void;
}

/**
 * Turns a byte stream into frames. After it has thrown once it stays failed: a connection that
 * has seen a framing error cannot find the next frame boundary again.
 */
export class FrameParser {
  /**
   * Largest acceptable frame, header and frame-end included. Set it to the negotiated frame_max
   * after tune (0 there means no limit: keep a cap anyway).
   */
  maxFrameSize: number;
  private readonly header = Buffer.alloc(FRAME_HEADER_SIZE + 1);
  private headerLen = 0;
  private type = 0;
  private channel = 0;
  private size = 0;
  /** Gathers a frame split across chunks: payload plus frame-end. */
  private partial: Buffer | null = null;
  private partialLen = 0;
  private started = false;
  private failed: Error | null = null;

  constructor(maxFrameSize = DEFAULT_INBOUND_FRAME_CAP) {
    this.maxFrameSize = maxFrameSize;
  }

  /** True while part of a frame is buffered (EOF now would cut a frame). */
  get midFrame(): boolean {
    return this.headerLen > 0 || this.partial !== null;
  }

  /** Feed one chunk; calls `handler.onFrame` for every frame completed by it. Throws FrameError. */
  push(chunk: Buffer, handler: FrameHandler): void {
    if (this.failed) throw this.failed;
    try {
      this.consume(chunk, handler);
    } catch (e) {
      this.failed = e as Error;
      throw e;
    }
  }

  private consume(chunk: Buffer, handler: FrameHandler): void {
    const len = chunk.length;
    let pos = 0;
    if (!this.started && len > 0) {
      // A server that does not speak 0-9-1 answers our header with its own ("AMQP" + version)
      // and closes. 'A' is no frame type, so the first byte tells.
      if (this.headerLen === 0 && chunk[0] !== 0x41) this.started = true;
      else return this.protocolHeader(chunk);
    }
    while (pos < len) {
      if (this.partial !== null) {
        const need = this.size + 1 - this.partialLen;
        const n = Math.min(need, len - pos);
        chunk.copy(this.partial, this.partialLen, pos, pos + n);
        pos += n;
        this.partialLen += n;
        if (this.partialLen === this.size + 1) {
          const frame = this.partial;
          this.partial = null;
          this.partialLen = 0;
          if (frame[this.size] !== FRAME_END) throw this.badEnd(frame[this.size]!);
          handler.onFrame(this.type, this.channel, frame, 0, this.size);
        }
        continue;
      }
      if (this.headerLen > 0 || len - pos < FRAME_HEADER_SIZE) {
        const n = Math.min(FRAME_HEADER_SIZE - this.headerLen, len - pos);
        chunk.copy(this.header, this.headerLen, pos, pos + n);
        this.headerLen += n;
        pos += n;
        if (this.headerLen < FRAME_HEADER_SIZE) return;
        this.headerLen = 0;
        this.readHeader(this.header, 0);
      } else {
        this.readHeader(chunk, pos);
        pos += FRAME_HEADER_SIZE;
      }
      const size = this.size;
      if (len - pos > size) {
        if (chunk[pos + size] !== FRAME_END) throw this.badEnd(chunk[pos + size]!);
        handler.onFrame(this.type, this.channel, chunk, pos, pos + size);
        pos += size + 1;
      } else {
        this.partial = Buffer.allocUnsafe(size + 1);
        this.partialLen = 0;
      }
    }
  }

  /** Read and check a frame header; throws before anything is allocated for the payload. */
  private readHeader(buf: Buffer, at: number): void {
    const type = buf[at]!;
    const channel = (buf[at + 1]! << 8) | buf[at + 2]!;
    const size = buf[at + 3]! * 0x1000000 + ((buf[at + 4]! << 16) | (buf[at + 5]! << 8) | buf[at + 6]!);
    if (type !== FrameType.METHOD && type !== FrameType.HEADER && type !== FrameType.BODY && type !== FrameType.HEARTBEAT) {
      throw frameError(`unknown frame type ${type}`);
    }
    if (size + 8 > this.maxFrameSize) {
      throw frameError(`frame of ${size + 8} bytes exceeds frame_max ${this.maxFrameSize}`);
    }
    if (type === FrameType.HEARTBEAT && (channel !== 0 || size !== 0)) {
      throw frameError(channel !== 0 ? `heartbeat frame on channel ${channel}` : `heartbeat frame with ${size} payload bytes`);
    }
    this.type = type;
    this.channel = channel;
    this.size = size;
  }

  private badEnd(octet: number): Error {
    return frameError(`frame-end octet is 0x${octet.toString(16).padStart(2, '0')}, expected 0xce`);
  }

  private protocolHeader(chunk: Buffer): void {
    const n = Math.min(8 - this.headerLen, chunk.length);
    chunk.copy(this.header, this.headerLen, 0, n);
    this.headerLen += n;
    // Only "AMQP" makes it a protocol header; any other leading 'A' is frame type 65.
    for (let i = 1; i < 4 && i < this.headerLen; i++) {
      if (this.header[i] !== PROTOCOL_HEADER[i]) throw frameError(`unknown frame type ${this.header[0]}`);
    }
    if (this.headerLen < 8) return;
    throw new ProtocolVersionError(Uint8Array.prototype.slice.call(this.header, 0, 8));
  }
}
