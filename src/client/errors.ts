/**
 * Errors of the client layer. Every one extends AMQPError; the close errors carry the protocol's
 * own data (reply code and text, the class and method that failed) so callers can branch on them.
 * @packageDocumentation
 */
import { AMQPError } from '../frames/errors.js';

export {
  ClosedError, ConnectionClosedError, ChannelClosedError, AuthenticationError, type ClosedBy, type CloseReason,
} from '../protocol/errors.js';

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
