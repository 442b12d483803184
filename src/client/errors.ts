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
 * Why no connection could be made, as {@link ConnectError.kind} says it:
 * - `dns`: the host name does not resolve (ENOTFOUND, EAI_AGAIN);
 * - `refused`: nothing listens on the port (ECONNREFUSED);
 * - `timeout`: no answer within socketTimeout;
 * - `tls-certificate`: the server's certificate is not trusted, or does not name the host;
 * - `tls`: the TLS handshake failed otherwise (often: amqps to a port that speaks plain AMQP);
 * - `network`: any other socket error (unreachable, reset).
 */
export type ConnectFailure = 'dns' | 'refused' | 'timeout' | 'tls-certificate' | 'tls' | 'network';

/** OpenSSL's and Node's codes for a certificate the client does not accept. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function classify(code: string | undefined, tls: boolean): ConnectFailure {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) return 'tls-certificate';
  if (tls && (code === undefined || code.startsWith('ERR_SSL') || code === 'ECONNRESET')) return 'tls';
  return 'network';
}

function explain(kind: ConnectFailure, address: string, host: string, code: string | undefined, message: string): string {
  // OpenSSL's messages run to a source location on a second line: the first says it.
  const first = message.split('\n')[0]!.trim();
  const why = code === undefined || first.includes(code) ? first : `${code}: ${first}`;
  switch (kind) {
    case 'dns':
      return `cannot connect to ${address}: the host name '${host}' does not resolve (${code}); check the host in the URL`;
    case 'tls-certificate':
      return code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `cannot connect to ${address}: the server's TLS certificate does not name '${host}' (${why}); connect by a name it carries or set tls.servername`
        : `cannot connect to ${address}: the server's TLS certificate is not trusted (${why}); give its CA as tls.ca (or cacertfile= in the URL)`;
    case 'tls':
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
        return `cannot connect to ${address}: the server did not answer in TLS (${code}); if it speaks plain AMQP, use amqp:// (RabbitMQ's plain port is usually 5672)`;
      }
      return `cannot connect to ${address}: the TLS handshake failed (${why}); is this port a TLS (amqps) listener?`;
    default:
      return `cannot connect to ${address}: ${message}`;
  }
}

/**
 * No socket to the broker could be opened (DNS, refused, unreachable, TLS handshake). `kind`
 * says which, `code` is the socket error's code (ECONNREFUSED, ENOTFOUND, SELF_SIGNED_CERT_IN_CHAIN).
 */
export class ConnectError extends AMQPError {
  override name = 'ConnectError';
  readonly code: string | undefined;
  readonly address: string;
  /** What failed; see {@link ConnectFailure}. */
  readonly kind: ConnectFailure;
  /**
   * @param address `host:port` dialled
   * @param cause the socket's error
   * @param target the host name dialled and whether over TLS (for the message; default: from `address`, no TLS)
   */
  constructor(address: string, cause: unknown, target: { host?: string; tls?: boolean } = {}) {
    const c = cause as { code?: string; message?: string } | undefined;
    const code = c?.code;
    const kind = classify(code, target.tls ?? false);
    const host = target.host ?? address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    super(explain(kind, address, host, code, c?.message ?? String(cause)), { cause });
    this.code = code;
    this.address = address;
    this.kind = kind;
  }
}

/**
 * The peer at the address answered, but not in AMQP: `protocol` says what it spoke instead, read
 * from its first bytes. `tls`: a TLS record (0x15 alert or 0x16 handshake), so the port wants
 * amqps; `http`: an HTTP response, so it is a web server (RabbitMQ's management UI is on 15672).
 */
export class NotAmqpError extends AMQPError {
  override name = 'NotAmqpError';
  readonly protocol: 'tls' | 'http';
  readonly address: string;
  constructor(protocol: 'tls' | 'http', address: string) {
    super(protocol === 'tls'
      ? `the server at ${address} speaks TLS, not plain AMQP: connect with amqps:// (or the tls option); RabbitMQ's TLS port is usually 5671`
      : `an HTTP server answered at ${address}, not an AMQP broker: AMQP listens on 5672 by default (15672 is RabbitMQ's management UI)`);
    this.protocol = protocol;
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
