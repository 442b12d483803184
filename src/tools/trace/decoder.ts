/**
 * One direction of a conversation turned into {@link TraceEvent}s, one per frame, by the protocol
 * session (src/protocol/session.ts): the same parser, method decoder and content assembler the
 * client uses. The session's `observer` sees each raw frame first; the session's handler then
 * adds what it decoded (the method, or the completed message) before the next frame comes.
 *
 * After a decode failure the direction is not decoded any more (a byte stream with a broken
 * frame has no next frame boundary); one `decode-error` event says so.
 * @packageDocumentation
 */
import { FrameType } from '../../frames/constants.js';
import { decodeContentHeader } from '../../frames/properties.js';
import { decodeMethod } from '../../methods/codec.js';
import type { Content, SessionHandler } from '../../protocol/events.js';
import { Session } from '../../protocol/session.js';
import type { Method } from '../../methods/types.js';
import type { TraceDirection, TraceEvent } from './events.js';

/** Largest body the trace assembles for a preview: the broker's own default limit (512 MiB). */
const MAX_BODY = 512 * 1024 * 1024;

/** An event before the links have seen it. */
export type RawEvent = Omit<TraceEvent, 'notes' | 'flags'>;

/** How a direction decoder is set up. */
export interface DecoderOptions {
  readonly conn: number;
  readonly dir: TraceDirection;
  /** Keep each frame's raw bytes on its event (for annotated hex). */
  readonly keepRaw?: boolean;
  /** Receives each event, in order. */
  readonly emit: (event: RawEvent) => void;
}

interface Pending {
  type: number;
  channel: number;
  buf: Buffer;
  start: number;
  end: number;
  method?: Method;
  content?: Content;
}

/** Decodes one direction; feed it every chunk with `push`. Never throws. */
export class DirectionDecoder implements SessionHandler {
  private readonly session: Session;
  private pending: Pending | null = null;
  private time = 0;
  private failed = false;
  /** Body frames seen so far per channel, for the message in progress. */
  private readonly bodyFrames = new Map<number, number>();

  constructor(private readonly options: DecoderOptions) {
    this.session = new Session(this, {
      // The session listens for the other side: a server's decoder listens to the client.
      role: options.dir === 'C->S' ? 'server' : 'client',
      maxBodySize: MAX_BODY,
      onProtocolHeader: (header) => this.emit({ kind: 'protocol-header', channel: 0, size: header.length, raw: this.raw(header) }),
      observer: { onFrame: (type, channel, buf, start, end) => this.onFrame(type, channel, buf, start, end) },
    });
  }

  /** True once a decode failure stopped decoding this direction. */
  get stopped(): boolean {
    return this.failed;
  }

  /** Decode a chunk that crossed at `time` (ms since the epoch). */
  push(chunk: Buffer, time: number): void {
    if (this.failed) return;
    this.time = time;
    try {
      this.session.push(chunk);
      this.flush();
    } catch (e) {
      try {
        this.flush();
      } catch {
        // the frame that failed was the pending one: the error below says why
        this.pending = null;
      }
      this.failed = true;
      this.emit({ kind: 'decode-error', channel: 0, size: 0, error: `${(e as Error).message}; bytes still forwarded, this direction no longer decoded` });
    }
  }

  /** A channel was closed and confirmed: a reused id starts clean. */
  forget(channel: number): void {
    this.session.forget(channel);
    this.bodyFrames.delete(channel);
  }

  /** @internal SessionHandler */
  onMethod(_channel: number, method: Method): void {
    if (this.pending) this.pending.method = method;
  }

  /** @internal SessionHandler */
  onContent(_channel: number, content: Content): void {
    if (this.pending) this.pending.content = content;
  }

  /** @internal SessionHandler */
  onHeartbeat(): void {}

  private onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    this.flush();
    this.pending = { type, channel, buf, start, end };
  }

  private flush(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    const size = p.end - p.start + 8;
    const raw = this.raw(p.buf.subarray(p.start - 7, p.end + 1));
    const base = { channel: p.channel, size, raw };
    switch (p.type) {
      case FrameType.METHOD: {
        // Content-bearing methods wait in the assembler, so the session hands them to no handler.
        const m = p.method ?? decodeMethod(p.buf, p.start, p.end);
        if (m.name === 'basic.publish' || m.name === 'basic.deliver' || m.name === 'basic.get-ok' || m.name === 'basic.return') {
          this.bodyFrames.set(p.channel, 0);
        }
        return this.emit({ ...base, kind: 'method', name: m.name, args: m.args as Record<string, unknown> });
      }
      case FrameType.HEADER: {
        const h = decodeContentHeader(p.buf, p.start, p.end);
        // An empty body completes on its header: no body frame follows.
        const body = p.content === undefined ? undefined : { size: 0, frames: 0, bytes: p.content.body };
        return this.emit({ ...base, kind: 'header', bodySize: h.bodySize, properties: h.properties, body });
      }
      case FrameType.BODY: {
        const index = (this.bodyFrames.get(p.channel) ?? 0) + 1;
        this.bodyFrames.set(p.channel, index);
        const c = p.content;
        const body = c === undefined ? undefined : { size: c.body.length, frames: index, bytes: c.body };
        return this.emit({ ...base, kind: 'body', payload: p.end - p.start, index, body });
      }
      default:
        return this.emit({ ...base, kind: 'heartbeat' });
    }
  }

  private raw(bytes: Buffer): Buffer | undefined {
    return this.options.keepRaw ? Buffer.from(bytes) : undefined;
  }

  private emit(e: Omit<RawEvent, 'time' | 'conn' | 'dir'>): void {
    this.options.emit({ time: this.time, conn: this.options.conn, dir: this.options.dir, ...e });
  }
}
