/**
 * The public `Connection` and `connect()`: the client's connection engine, plus the RPC helpers
 * that are built on top of it.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { ConnectionEngine } from './client/connection/engine.js';
import { openConnection } from './client/connection/open.js';
import type { ConnectionOptions, ResolvedConnectionOptions } from './client/options/index.js';
import { createRpcClient, type RpcClient, type RpcClientOptions } from './rpc/rpc-client.js';
import { createRpcServer, type RpcHandler, type RpcServer, type RpcServerOptions } from './rpc/rpc-server.js';

/**
 * An open AMQP connection. Events: `close` (error, or undefined after a clean `close()`), `error`,
 * `blocked` (reason), `unblocked`. A listener that throws is reported, never fatal.
 */
export class Connection extends ConnectionEngine {
  /** @internal Use `connect()`. */
  constructor(socket: Socket, options: ResolvedConnectionOptions) {
    super(socket, options);
  }

  /**
   * Serve RPC requests from `queue` on a channel of its own: declare the queue, basic.qos
   * `prefetch` (default 1), answer each request to its reply_to with its correlation_id, then ack.
   */
  rpcServer(queue: string, handler: RpcHandler, options: RpcServerOptions = {}): Promise<RpcServer> {
    return createRpcServer(this, queue, handler, options);
  }

  /** An RPC client on a channel of its own: direct reply-to unless `replyQueue: 'exclusive'`. */
  rpcClient(options: RpcClientOptions = {}): Promise<RpcClient> {
    return createRpcClient(this, options);
  }
}

/**
 * Connect to a broker: `connect('amqp://user:pass@host:5672/vhost?heartbeat=10')`,
 * `connect({ host, credentials, heartbeat })`, or a URL plus an options object. Resolves once
 * connection.open-ok has arrived. Rejects with ConnectError (no socket), AuthenticationError,
 * ProtocolVersionError, TimeoutError (connectionTimeout), ConnectionClosedError (the broker
 * closed: a vhost it refuses, say), FrameError (the server broke the protocol during the
 * handshake, e.g. a frame_max below 4096), or ArgumentError (bad options).
 */
export function connect(url?: string | ConnectionOptions, options?: ConnectionOptions): Promise<Connection> {
  return openConnection((socket, o) => new Connection(socket, o), url, options);
}
