/**
 * The errors a close carries: the fields of connection.close / channel.close plus who closed.
 * Both the client handshake (here in protocol) and the client's connection and channels throw them.
 * @packageDocumentation
 */
import { AMQPError } from '../frames/errors.js';
import { isSoftError, replyCodeName } from '../frames/constants.js';
import { methodName } from '../methods/codec.js';

/** Who ended a connection or channel. */
export type ClosedBy = 'server' | 'client' | 'socket';

/** The fields of a connection.close / channel.close, plus who sent it. */
export interface CloseReason {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
  by: ClosedBy;
}

function describe(r: CloseReason): string {
  // No close method was exchanged (socket loss, heartbeat): the text says it all.
  if (r.replyCode === 0) return r.replyText;
  const text = r.replyText || replyCodeName(r.replyCode);
  // RabbitMQ's reply text already begins with the code's name ("NOT_FOUND - no queue ...").
  const body = text.startsWith(replyCodeName(r.replyCode)) ? `${r.replyCode} ${text}` : `${r.replyCode} ${replyCodeName(r.replyCode)} - ${text}`;
  return r.classId || r.methodId ? `${methodName(r.classId, r.methodId)}: ${body}` : body;
}

/** Base of ConnectionClosedError and ChannelClosedError. */
export abstract class ClosedError extends AMQPError {
  /** AMQP reply code, e.g. 404, 320; 0 when no close method was exchanged (socket loss). */
  readonly replyCode: number;
  /** The peer's reply text (RabbitMQ: `NOT_FOUND - no queue 'x' in vhost '/'`). */
  readonly replyText: string;
  /** Class of the method that caused the close (0 if none). */
  readonly classId: number;
  /** Method id of the method that caused the close (0 if none). */
  readonly methodId: number;
  /** `class.method` that caused it, e.g. `queue.declare`; '' when none. */
  readonly methodName: string;
  /** True for channel-level (soft) reply codes. */
  readonly soft: boolean;
  /** Who closed: the server, this client, or the socket (network error, EOF, heartbeat). */
  readonly by: ClosedBy;

  constructor(reason: CloseReason, message?: string, options?: { cause?: unknown }) {
    super(message ?? describe(reason), options);
    this.replyCode = reason.replyCode;
    this.replyText = reason.replyText;
    this.classId = reason.classId;
    this.methodId = reason.methodId;
    this.methodName = reason.classId || reason.methodId ? methodName(reason.classId, reason.methodId) : '';
    this.soft = isSoftError(reason.replyCode);
    this.by = reason.by;
  }
}

/** The connection is closed: by the server (connection.close), by `close()`, or by the socket. */
export class ConnectionClosedError extends ClosedError {
  override name = 'ConnectionClosedError';
}

/** The channel is closed: by a channel.close from the server, by `close()`, or with its connection. */
export class ChannelClosedError extends ClosedError {
  override name = 'ChannelClosedError';
}

/** The broker refused the credentials (403 ACCESS_REFUSED during the handshake, or EOF after start-ok). */
export class AuthenticationError extends ConnectionClosedError {
  override name = 'AuthenticationError';
}
