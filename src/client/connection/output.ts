/**
 * A connection's outbound path: frames are written into one reused Writer and handed to the
 * socket at most once per tick.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { Writer } from '../../frames/writer.js';
import { now } from './heartbeat.js';

const RESOLVED = Promise.resolve();

/**
 * Buffers output and flushes it at the end of the tick: every frame written until then goes out
 * in one socket write. While the socket still holds an earlier write, output gathers in the
 * writer and goes out in one piece on 'drain', so at most one write is pending inside Node and
 * the bytes waiting are easy to count for backpressure.
 */
export class Output {
  /** Frames are encoded straight into this. */
  readonly writer: Writer;
  /** ms timestamp of the last write to the socket (for heartbeats). */
  lastWrite = now();
  private flushQueued = false;
  /** A socket write is pending (write() returned false): the next flush waits for 'drain'. */
  private socketBusy = false;

  /**
   * @param highWaterMark bytes buffered (writer + socket) above which publishers should wait
   * @param onBelowHighWaterMark called when buffered output drops back under the mark
   */
  constructor(
    private readonly socket: Socket,
    private readonly highWaterMark: number,
    private readonly onBelowHighWaterMark: () => void,
  ) {
    this.writer = new Writer(64 * 1024, 0);
    socket.on('drain', () => this.onDrain());
  }

  /** Bytes written and not yet taken by the kernel: the writer's plus the socket's buffer. */
  get buffered(): number {
    return this.writer.pos + this.socket.writableLength;
  }

  /** True while buffered output is above the high-water mark. */
  get blocked(): boolean {
    return this.buffered > this.highWaterMark;
  }

  /** Flush at the end of this tick. */
  scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // A resolved promise rather than queueMicrotask, which wraps every callback in an AsyncResource.
    RESOLVED.then(this.flush);
  }

  /** Hand everything written so far to the socket now (unless a write is still pending). */
  readonly flush = (): void => {
    this.flushQueued = false;
    if (this.writer.pos === 0 || this.socketBusy || this.socket.destroyed) return;
    this.lastWrite = now();
    if (this.socket.write(this.writer.flush())) this.notify();
    else this.socketBusy = true;
  };

  /** Write bytes that bypass the writer (a heartbeat frame). */
  writeRaw(bytes: Buffer): void {
    if (this.socket.destroyed) return;
    this.lastWrite = now();
    this.socket.write(bytes);
  }

  private onDrain(): void {
    this.socketBusy = false;
    if (this.writer.pos > 0) this.flush();
    this.notify();
  }

  private notify(): void {
    if (!this.blocked) this.onBelowHighWaterMark();
  }
}
