/**
 * Request/reply over AMQP (the seed's RPC pattern): the error type and the shapes shared by
 * `createRpcServer` (rpc-server.ts) and `createRpcClient` (rpc-client.ts).
 *
 * The pattern: a request goes to a work queue with `reply_to` naming where the answer goes and
 * `correlation_id` naming the request; the server publishes its answer to `reply_to` through the
 * default exchange with the same `correlation_id`. AMQP itself carries no error channel for
 * this, so a failed handler answers with an empty body and the {@link RPC_ERROR_HEADER} header.
 * @packageDocumentation
 */
import { AMQPError } from '../frames/errors.js';
import type { BasicProperties } from '../frames/properties.js';
import type { Body, Channel } from '../client/channel/channel.js';
import type { CallOptions } from '../client/channel/host.js';

/** Header a server sets on a reply when the handler failed; its value is the error message. */
export const RPC_ERROR_HEADER = 'x-rpc-error';
/** Header carrying the failed handler's error name (`TypeError`, ...), next to {@link RPC_ERROR_HEADER}. */
export const RPC_ERROR_NAME_HEADER = 'x-rpc-error-name';

/**
 * RabbitMQ's direct reply-to pseudo-queue: consume it (noAck) and name it in `reply_to` on the
 * same channel, and replies come straight back without a queue being declared.
 */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * An RPC failed on the far side: the server's handler threw (the reply carried
 * {@link RPC_ERROR_HEADER}), or a server got a request it cannot answer (no `reply_to`).
 */
export class RpcError extends AMQPError {
  override name = 'RpcError';
  /** The queue the request was sent to or consumed from. */
  readonly queue: string;
  /** The request's correlation id, when it had one. */
  readonly correlationId: string | undefined;
  /** The error name the server reported (`Error`, `TypeError`, ...), or undefined. */
  readonly remoteName: string | undefined;

  constructor(message: string, details: { queue: string; correlationId?: string | undefined; remoteName?: string | undefined }) {
    super(message);
    this.queue = details.queue;
    this.correlationId = details.correlationId;
    this.remoteName = details.remoteName;
  }
}

/** What an RPC server or client needs from a connection: a way to open its own channel. */
export interface ChannelSource {
  channel(options?: CallOptions): Promise<Channel>;
}

/**
 * A handler's answer: a body (a number or bigint is sent as its decimal text, as the seed's
 * `str(response)`), or a body with reply properties. The reply's correlation id is always the
 * request's.
 */
export type RpcReply = Body | number | bigint | { body: Body; properties?: BasicProperties };
