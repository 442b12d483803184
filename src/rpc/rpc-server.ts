/**
 * The server side of RPC: consume a request queue, answer each request to its `reply_to` with
 * its `correlation_id`, then ack it.
 * @packageDocumentation
 */
import type { BasicProperties } from '../frames/properties.js';
import type { Body, Channel, QueueDeclareOptions } from '../client/channel/channel.js';
import { UsageError } from '../client/errors.js';
import { warn } from '../client/events.js';
import type { Message } from '../client/message.js';
import { RPC_ERROR_HEADER, RPC_ERROR_NAME_HEADER, RpcError, type ChannelSource, type RpcReply } from './rpc.js';

/** Answers one request. May be async; a throw or rejection is sent back as an error reply. */
export type RpcHandler = (request: Message) => RpcReply | Promise<RpcReply>;

/** Options of {@link createRpcServer}. */
export interface RpcServerOptions {
  /** basic.qos prefetch count: how many requests are handled at once. Default 1, as in the seed. */
  prefetch?: number;
  /** queue.declare options of the request queue. Default: every flag false (pika's default). */
  queueOptions?: QueueDeclareOptions;
  /**
   * Problems that belong to no caller: a request without `reply_to` (acked, never answered), a
   * reply that could not be written, the channel closing under the server. Default: a process
   * warning.
   */
  onError?: (err: Error, request: Message | null) => void;
}

interface Reply {
  body: Body;
  properties: BasicProperties;
}

const isBody = (v: unknown): v is Body => typeof v === 'string' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer;

function toReply(value: RpcReply): Reply {
  if (isBody(value)) return { body: value, properties: {} };
  if (typeof value === 'number' || typeof value === 'bigint') return { body: String(value), properties: {} };
  if (value !== null && typeof value === 'object' && 'body' in value) {
    const body = value.body;
    if (isBody(body)) return { body, properties: value.properties ?? {} };
  }
  throw new UsageError(`an RPC handler must return a string, bytes, a number or { body, properties }; got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

function errorReply(err: unknown): Reply {
  const e = err instanceof Error ? err : new Error(String(err));
  return { body: '', properties: { headers: { [RPC_ERROR_HEADER]: e.message || e.name, [RPC_ERROR_NAME_HEADER]: e.name } } };
}

/**
 * A running RPC server: one channel, one consumer on the request queue. Create it with
 * {@link createRpcServer}.
 */
export class RpcServer {
  /** The request queue (the server-chosen name when declared as ''). */
  readonly queue: string;
  /** The server's own channel. */
  readonly channel: Channel;
  /** Consumer tag on the request queue; set once consuming. */
  consumerTag = '';
  /** Requests answered so far, error replies included. */
  handled = 0;
  private inFlight = 0;
  private idle: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  /** @internal Use {@link createRpcServer}. */
  constructor(
    channel: Channel,
    queue: string,
    private readonly handler: RpcHandler,
    private readonly onError: (err: Error, request: Message | null) => void,
  ) {
    this.channel = channel;
    this.queue = queue;
    channel.on('error', (err: Error) => this.onError(err, null));
  }

  /** @internal basic.consume on the request queue, manual acks. */
  async start(): Promise<void> {
    const { consumerTag } = await this.channel.basicConsume(this.queue, (msg) => this.onRequest(msg));
    this.consumerTag = consumerTag;
  }

  private async onRequest(request: Message): Promise<void> {
    this.inFlight++;
    try {
      await this.answer(request);
    } finally {
      if (--this.inFlight === 0 && this.idle) this.idle();
    }
  }

  private async answer(request: Message): Promise<void> {
    const { replyTo, correlationId } = request.properties;
    if (replyTo === undefined || replyTo === '') {
      this.settle(request);
      const tag = request.fields.deliveryTag;
      this.onError(new RpcError(`request ${tag} on '${this.queue}' has no reply_to: acked without an answer`, { queue: this.queue, correlationId }), request);
      return;
    }
    let reply: Reply;
    try {
      reply = toReply(await this.handler(request));
    } catch (e) {
      reply = errorReply(e);
    }
    if (!this.publish(replyTo, correlationId, reply, request)) return;
    this.handled++;
    // Acked only once the reply is in the output: if we die before, the broker redelivers.
    this.settle(request);
  }

  /** Write the reply; a reply the codec refuses (bad properties) is replaced by an error reply. */
  private publish(replyTo: string, correlationId: string | undefined, reply: Reply, request: Message): boolean {
    const write = (r: Reply): void => {
      const properties: BasicProperties = { ...r.properties };
      if (correlationId !== undefined) properties.correlationId = correlationId;
      this.channel.basicPublish('', replyTo, r.body, properties);
    };
    try {
      write(reply);
      return true;
    } catch (e) {
      if (!this.channel.isOpen) {
        this.onError(e as Error, request);
        return false;
      }
      try {
        write(errorReply(e));
        return true;
      } catch (again) {
        this.onError(again as Error, request);
        return false;
      }
    }
  }

  private settle(request: Message): void {
    try {
      request.ack();
    } catch (e) {
      this.onError(e as Error, request);
    }
  }

  /**
   * Stop: cancel the consumer, let the requests already being handled finish and answer, then
   * close the channel. Requests delivered but not yet acked go back to the queue.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.channel.isOpen && this.consumerTag !== '') await this.channel.basicCancel(this.consumerTag).catch(() => undefined);
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await this.channel.close();
    })();
    return this.closing;
  }

  /** `await using server = await conn.rpcServer(q, handler)`: {@link close} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Serve RPC requests from `queue`: declare it, set basic.qos to `prefetch` (default 1), consume
 * with manual acks. For each request `handler(request)` runs; its answer is published to the
 * request's `reply_to` through the default exchange with the request's `correlation_id`, and the
 * request is acked after that. A handler that throws answers with the `x-rpc-error` header (the
 * client raises RpcError) and the server keeps serving.
 */
export async function createRpcServer(source: ChannelSource, queue: string, handler: RpcHandler, options: RpcServerOptions = {}): Promise<RpcServer> {
  const channel = await source.channel();
  try {
    const declared = await channel.queueDeclare(queue, options.queueOptions ?? {});
    await channel.basicQos(options.prefetch ?? 1);
    const server = new RpcServer(channel, declared.queue, handler, options.onError ?? ((err) => warn(err)));
    await server.start();
    return server;
  } catch (e) {
    await channel.close().catch(() => undefined);
    throw e;
  }
}
