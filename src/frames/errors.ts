/**
 * The root of amqp-wire's error tree, and the errors the codec itself raises.
 * @packageDocumentation
 */
import { ReplyCode, replyCodeName } from './constants.js';

/** Base class of every error amqp-wire throws or rejects with. */
export class AMQPError extends Error {
  override name = 'AMQPError';
}

/**
 * The bytes on the wire break the protocol. Carries the reply code a peer would close with:
 * 501 FRAME_ERROR (bad frame-end, oversize, unknown frame type), 502 SYNTAX_ERROR (a field that
 * cannot be decoded), 503 COMMAND_INVALID (unknown class or method), 504 CHANNEL_ERROR,
 * 505 UNEXPECTED_FRAME.
 */
export class FrameError extends AMQPError {
  override name = 'FrameError';
  /** The reply code a connection.close for this fault carries. */
  readonly replyCode: number;
  constructor(replyCode: number, message: string) {
    super(`${replyCode} ${replyCodeName(replyCode)} - ${message}`);
    this.replyCode = replyCode;
  }
}

/** A 501 FRAME_ERROR. */
export function frameError(message: string): FrameError {
  return new FrameError(ReplyCode.FRAME_ERROR, message);
}

/** A 502 SYNTAX_ERROR: a field that does not decode (truncated, overlong, bad tag, bad UTF-8). */
export function syntaxError(message: string): FrameError {
  return new FrameError(ReplyCode.SYNTAX_ERROR, message);
}

/**
 * The peer's protocol header names a version other than AMQP 0-9-1. A client sees it when the
 * server answers our header with its own and closes; a server, when the client opens with one.
 * `serverHeader` holds the eight bytes the peer sent.
 */
export class ProtocolVersionError extends AMQPError {
  override name = 'ProtocolVersionError';
  readonly serverHeader: Uint8Array;
  /** @param sentBy which side sent `header`: the server (the default, as a client sees it) or the client. */
  constructor(header: Uint8Array, sentBy: 'server' | 'client' = 'server') {
    const v = Array.from(header.subarray(4, 8)).join('-');
    super(sentBy === 'server'
      ? `protocol version mismatch: server offered AMQP ${v}, client speaks 0-9-1`
      : `protocol version mismatch: client asked for AMQP ${v}, server speaks 0-9-1`);
    this.serverHeader = header;
  }
}

/** Where an encoding failed: the method and the argument or property, when known. */
export interface EncodeErrorOrigin {
  /** `class.method` being encoded, e.g. `basic.publish`. */
  method?: string | undefined;
  /** The argument (`exchange`, `arguments`) or content property (`priority`) that failed. */
  field?: string | undefined;
}

/**
 * A value given by the caller cannot be encoded: a short string over 255 UTF-8 bytes, a number out
 * of the field's range, a table nested too deep, a frame bigger than frame_max. Nothing was written.
 * `method` and `field` say where, when the encoder knew.
 */
export class EncodeError extends AMQPError {
  override name = 'EncodeError';
  /** `class.method` being encoded (undefined for a content header, or when unknown). */
  readonly method: string | undefined;
  /** The method argument or content property that could not be encoded (undefined when unknown). */
  readonly field: string | undefined;
  constructor(message: string, origin: EncodeErrorOrigin = {}, options?: ErrorOptions) {
    super(message, options);
    this.method = origin.method;
    this.field = origin.field;
  }
}

/**
 * Fill in the method and field of an EncodeError thrown by a layer that did not know them (a field
 * table, the writer) and return it; other errors are returned unchanged.
 */
export function locateEncodeError(e: unknown, method: string, field?: string): unknown {
  if (!(e instanceof EncodeError)) return e;
  const w = e as { method: string | undefined; field: string | undefined };
  w.method ??= method;
  if (field !== undefined) w.field ??= field;
  return e;
}
