/**
 * Inbound content assembly: method -> header -> body frames, as an explicit state machine.
 *
 * A content-bearing method (basic.deliver, basic.get-ok and basic.return from a server, basic.publish
 * from a client) must be followed on its channel by exactly one header frame and then body frames
 * adding up to the header's body size.
 * Anything else in between is a 505 UNEXPECTED_FRAME connection error: dropping frames would
 * silently lose or corrupt messages.
 * @packageDocumentation
 */
import { ReplyCode } from '../frames/constants.js';
import { FrameError, frameError } from '../frames/errors.js';
import { decodeContentHeader } from '../frames/properties.js';
import type { BasicProperties } from '../frames/properties.js';

/** A complete message: the method that announced it, its properties and body. */
export interface Assembled<M> {
  method: M;
  properties: BasicProperties;
  body: Buffer;
}

enum State {
  Idle,
  AwaitHeader,
  AwaitBody,
}

const EMPTY = Buffer.alloc(0);

function unexpected(message: string): FrameError {
  return new FrameError(ReplyCode.UNEXPECTED_FRAME, message);
}

/** Assembles the content of one channel. `M` is whatever the owner keeps of the announcing method. */
export class ContentAssembler<M> {
  private state = State.Idle;
  private method: M | null = null;
  private classId = 0;
  private properties: BasicProperties = {};
  private bodySize = 0;
  private body: Buffer | null = null;
  private received = 0;

  /** @param maxBodySize largest body size a header may announce (bytes). */
  constructor(private readonly maxBodySize: number) {}

  /** True between a content method and its last body frame. */
  get busy(): boolean {
    return this.state !== State.Idle;
  }

  /** A content-bearing method arrived. */
  begin(method: M, classId: number): void {
    if (this.state !== State.Idle) throw unexpected('method frame arrived while a message body was still expected');
    this.method = method;
    this.classId = classId;
    this.state = State.AwaitHeader;
  }

  /** A non-content method arrived: legal only when idle. */
  assertIdle(what: string): void {
    if (this.state !== State.Idle) throw unexpected(`${what} arrived while message content was still expected`);
  }

  /** A header frame; returns the message when its body is empty. */
  header(buf: Buffer, start: number, end: number): Assembled<M> | null {
    if (this.state !== State.AwaitHeader) throw unexpected('content header frame without a preceding content method');
    const h = decodeContentHeader(buf, start, end);
    if (h.classId !== this.classId) {
      throw unexpected(`content header for class ${h.classId} follows a method of class ${this.classId}`);
    }
    if (h.bodySize > this.maxBodySize) {
      throw frameError(`announced body size ${h.bodySize} exceeds the limit of ${this.maxBodySize} bytes`);
    }
    this.properties = h.properties;
    this.bodySize = h.bodySize;
    this.received = 0;
    this.body = null;
    if (h.bodySize === 0) return this.finish(EMPTY);
    this.state = State.AwaitBody;
    return null;
  }

  /**
   * A body frame; returns the message once all bytes are in. A body that arrives in one frame is
   * handed on as a view of that frame, with no copy.
   */
  bodyFrame(buf: Buffer, start: number, end: number): Assembled<M> | null {
    if (this.state !== State.AwaitBody) throw unexpected('body frame without a preceding content header');
    const n = end - start;
    if (this.received + n > this.bodySize) {
      throw frameError(`body frames carry ${this.received + n} bytes, header announced ${this.bodySize}`);
    }
    if (this.received === 0 && n === this.bodySize) return this.finish(buf.subarray(start, end));
    // Counted in bytes, not frames: the buffer is sized by the header, checked against the cap above.
    if (this.body === null) this.body = Buffer.allocUnsafe(this.bodySize);
    buf.copy(this.body, this.received, start, end);
    this.received += n;
    if (this.received < this.bodySize) return null;
    return this.finish(this.body);
  }

  private finish(body: Buffer): Assembled<M> {
    const done: Assembled<M> = { method: this.method as M, properties: this.properties, body };
    this.state = State.Idle;
    this.method = null;
    this.body = null;
    return done;
  }

  /** Forget any half-assembled message (channel closing). */
  reset(): void {
    this.state = State.Idle;
    this.method = null;
    this.body = null;
  }
}
