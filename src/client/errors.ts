/**
 * Errors of the client layer. Every one extends AMQPError; the close errors carry the protocol's
 * own data (reply code and text, the class and method that failed) so callers can branch on them.
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

/** An operation did not complete within its timeout. `operation` names it (`queue.declare`, `connect`). */
export class TimeoutError extends AMQPError {
  override name = 'TimeoutError';
  readonly operation: string;
  readonly timeoutMs: number;
  constructor(operation: string, timeoutMs: number) {
    super(`${operation} timed out after ${timeoutMs} ms`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/** The broker nacked a confirmed publish (queue full with reject-publish, internal error). */
export class NackError extends AMQPError {
  override name = 'NackError';
  /** The publish sequence number the broker nacked. */
  readonly deliveryTag: number;
  constructor(deliveryTag: number) {
    super(`publish ${deliveryTag} was nacked by the broker`);
    this.deliveryTag = deliveryTag;
  }
}

/** A mandatory publish came back with basic.return (no queue was bound for it). */
export class UnroutableError extends AMQPError {
  override name = 'UnroutableError';
  readonly replyCode: number;
  readonly replyText: string;
  readonly exchange: string;
  readonly routingKey: string;
  constructor(replyCode: number, replyText: string, exchange: string, routingKey: string) {
    super(`message to exchange '${exchange}' with routing key '${routingKey}' was returned: ${replyCode} ${replyText}`);
    this.replyCode = replyCode;
    this.replyText = replyText;
    this.exchange = exchange;
    this.routingKey = routingKey;
  }
}

/**
 * The caller broke a rule the broker would punish with a channel or connection error: acking a
 * tag twice or one delivered with noAck, prefetch_size (540 in RabbitMQ), channel.flow(false).
 * Thrown locally so the channel survives.
 */
export class UsageError extends AMQPError {
  override name = 'UsageError';
}

/** The broker cancelled a consumer (queue deleted, node failure): basic.cancel from the server. */
export class ConsumerCancelledError extends AMQPError {
  override name = 'ConsumerCancelledError';
  readonly consumerTag: string;
  constructor(consumerTag: string) {
    super(`consumer ${consumerTag} was cancelled by the broker`);
    this.consumerTag = consumerTag;
  }
}

/**
 * No AMQP connection could be set up: the TCP or TLS connect failed (refused, unreachable, bad
 * certificate) on every attempt. `code` is the system error code when there is one (ECONNREFUSED).
 */
export class ConnectError extends AMQPError {
  override name = 'ConnectError';
  readonly code: string | undefined;
  readonly address: string;
  constructor(address: string, cause: unknown) {
    const c = cause as { code?: string; message?: string } | undefined;
    super(`cannot connect to ${address}: ${c?.message ?? String(cause)}`, { cause });
    this.code = c?.code;
    this.address = address;
  }
}

/**
 * A connection option or URL part is malformed or out of range. Raised before any socket opens.
 * `option` names the field or query parameter at fault (`frameMax`, `frame_max`, `port`, ...).
 */
export class ArgumentError extends AMQPError {
  override name = 'ArgumentError';
  readonly option: string | undefined;
  constructor(message: string, option?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.option = option;
  }
}
