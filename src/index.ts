// The declarations name Buffer, NodeJS and node:events: this pulls in @types/node for a project
// whose tsconfig lists no `types` (TypeScript 6 and later include none by default).
/// <reference types="node" preserve="true" />
/**
 * amqp-wire: an AMQP 0-9-1 client for Node.js that speaks the wire protocol itself.
 *
 * ```ts
 * import { connect } from 'amqp-wire';
 * const conn = await connect('amqp://guest:guest@localhost:5672/');
 * const ch = await conn.channel();
 * await ch.queueDeclare('hello');
 * ch.basicPublish('', 'hello', 'Hello World!');
 * ```
 * @packageDocumentation
 */
export { connect, Connection } from './connection.js';
export type { ConnectionEngine, ConnectionEvents } from './client/connection/engine.js';
export type { ConnectionState } from './client/connection/lifecycle.js';
export { Channel } from './client/channel/channel.js';
export type {
  Body, BindOptions, ExchangeDeclareOptions, QueueDeclareOptions, QueueDeclareResult, ConsumeOptions, ConsumeIteratorOptions,
  PublishOptions, CallOptions, ConsumerHandle, ChannelEvents, ExchangeType,
} from './client/channel/channel.js';
export { ConsumerIterator, type ConsumeCallback } from './client/channel/consumers.js';
export { Message, type DeliveryFields, type ReturnedMessage, type ReturnFields } from './client/message.js';
export {
  ClosedError, ConnectionClosedError, ChannelClosedError, AuthenticationError, TimeoutError, NackError, UnroutableError,
  UsageError, ConsumerCancelledError, ConnectError, NotAmqpError, type ConnectFailure, type ClosedBy, type CloseReason,
} from './client/errors.js';
export { ArgumentError, CONNECTION_DEFAULTS, type ConnectionOptions, type ResolvedConnectionOptions, type AuthMechanism } from './client/options/index.js';
export { parseAmqpUrl, redactUrl } from './client/options/url.js';
export type { Tuned } from './protocol/tune.js';
export { RpcError, RPC_ERROR_HEADER, RPC_ERROR_NAME_HEADER, DIRECT_REPLY_TO, type RpcReply, type ChannelSource } from './rpc/rpc.js';
export { RpcServer, createRpcServer, type RpcHandler, type RpcServerOptions } from './rpc/rpc-server.js';
export { RpcClient, createRpcClient, type RpcClientOptions, type RpcCallOptions } from './rpc/rpc-client.js';
export { VERSION } from './protocol/version.js';
export { AMQPError, FrameError, EncodeError, ProtocolVersionError } from './frames/errors.js';
export { ReplyCode, replyCodeName } from './frames/constants.js';
export { typed, TypedField, type FieldTable, type FieldValue, type FieldTag, type Decimal } from './frames/field-table.js';
export type { BasicProperties } from './frames/properties.js';
