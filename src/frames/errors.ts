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
 * The peer answered our protocol header with its own: it does not speak AMQP 0-9-1.
 * `serverHeader` holds the eight bytes it sent.
 */
export class ProtocolVersionError extends AMQPError {
  override name = 'ProtocolVersionError';
  readonly serverHeader: Uint8Array;
  constructor(serverHeader: Uint8Array) {
    const v = Array.from(serverHeader.subarray(4, 8)).join('-');
    super(`protocol version mismatch: server offered AMQP ${v}, client speaks 0-9-1`);
    this.serverHeader = serverHeader;
  }
}

/**
 * A value given by the caller cannot be encoded: a short string over 255 UTF-8 bytes, a number out
 * of the field's range, a table nested too deep, a frame bigger than frame_max. Nothing was written.
 */
export class EncodeError extends AMQPError {
  override name = 'EncodeError';
}
