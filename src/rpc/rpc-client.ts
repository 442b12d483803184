/**
 * The client side of RPC: publish requests with `reply_to` and a fresh `correlation_id`, match
 * replies back to their calls.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { FieldValue } from '../frames/field-table.js';
import type { BasicProperties } from '../frames/properties.js';
import type { Body, Channel } from '../client/channel/channel.js';
import { ChannelClosedError, TimeoutError, UnroutableError, UsageError } from '../client/errors.js';
import type { Message, ReturnedMessage } from '../client/message.js';
import { DIRECT_REPLY_TO, RPC_ERROR_HEADER, RPC_ERROR_NAME_HEADER, RpcError, type ChannelSource } from './rpc.js';

/** Options of {@link createRpcClient}. */
export interface RpcClientOptions {
  /**
   * Where replies come back. `direct` (default): RabbitMQ's direct reply-to, no queue declared.
   * `exclusive`: a server-named exclusive, auto-delete callback queue, as in the seed.
   */
  replyQueue?: 'direct' | 'exclusive';
  /** Default timeout of a call in ms; 0 waits forever. Default 30000. */
  timeout?: number;
}

/** Options of one {@link RpcClient.call}. */
export interface RpcCallOptions {
  /**
   * ms until the call rejects with TimeoutError; 0 waits forever. Also sent as the request's
   * `expiration`, so a request nobody took in time dies in the queue instead of being answered
   * to no one. Default: the client's `timeout`.
   */
  timeout?: number;
  /** Abort the call: it rejects with the signal's reason; a reply that comes later is dropped. */
  signal?: AbortSignal;
  /** Extra request properties; `replyTo` and `correlationId` are always the client's own. */
  properties?: BasicProperties;
  /** Exchange to publish the request to. Default '' (the default exchange: `queue` is the queue). */
  exchange?: string;
}

interface Pending {
  queue: string;
  resolve: (reply: Message) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const DEFAULT_TIMEOUT = 30_000;

function checkTimeout(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0) throw new UsageError(`an RPC timeout must be a whole number of ms >= 0, got ${ms}`);
  return ms;
}

function text(v: FieldValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

/**
 * Calls remote procedures over one channel. Many calls may be in flight; each is matched by its
 * correlation id. Create it with {@link createRpcClient}.
 */
export class RpcClient {
  /** The client's own channel. */
  readonly channel: Channel;
  /** The `reply_to` every request carries. */
  readonly replyTo: string;
  /** Replies that matched no pending call (late after a timeout or abort, or foreign) and were dropped. */
  discarded = 0;
  private readonly pending = new Map<string, Pending>();
  private closedError: Error | null = null;
  private closing: Promise<void> | null = null;

  /** @internal Use {@link createRpcClient}. */
  constructor(channel: Channel, replyTo: string, private readonly defaultTimeout: number) {
    this.channel = channel;
    this.replyTo = replyTo;
    channel.on('return', (r: ReturnedMessage) => this.onReturn(r));
    channel.on('close', (err?: Error) => this.failAll(err ?? this.closedError ?? this.closed('the RPC client\'s channel was closed')));
    // The close event carries the error to every pending call; nothing else to report.
    channel.on('error', () => undefined);
  }

  /** Calls waiting for their reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Send `body` to `queue` and resolve with the reply. Rejects with TimeoutError, RpcError (the
   * server's handler failed), UnroutableError (no queue by that name), the signal's reason, or
   * ChannelClosedError/ConnectionClosedError when the client or its connection closes first.
   */
  call(queue: string, body: Body, options: RpcCallOptions = {}): Promise<Message> {
    if (this.closedError) return Promise.reject(this.closedError);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    let timeout: number;
    try {
      timeout = checkTimeout(options.timeout ?? this.defaultTimeout);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const correlationId = randomUUID();
    return new Promise<Message>((resolve, reject) => {
      const p: Pending = { queue, resolve, reject, timer: undefined, signal, onAbort: undefined };
      // Registered before the request is written: the reply cannot overtake it.
      this.pending.set(correlationId, p);
      if (timeout > 0) {
        p.timer = setTimeout(() => this.take(correlationId)?.reject(new TimeoutError(`rpc call to '${queue}'`, timeout)), timeout);
      }
      if (signal) {
        p.onAbort = () => this.take(correlationId)?.reject(signal.reason as Error);
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      const properties: BasicProperties = { ...options.properties, replyTo: this.replyTo, correlationId };
      if (timeout > 0 && properties.expiration === undefined) properties.expiration = String(timeout);
      try {
        // mandatory: a request no queue takes comes back (basic.return) instead of timing out.
        this.channel.basicPublish(options.exchange ?? '', queue, body, properties, { mandatory: true });
      } catch (e) {
        this.take(correlationId)?.reject(e as Error);
      }
    });
  }

  /** @internal A delivery on the reply queue. */
  onReply(msg: Message): void {
    const id = msg.properties.correlationId;
    const p = id === undefined ? undefined : this.take(id);
    if (p === undefined) {
      this.discarded++;
      return;
    }
    const failure = msg.properties.headers?.[RPC_ERROR_HEADER];
    if (failure === undefined || failure === null) return p.resolve(msg);
    const name = msg.properties.headers?.[RPC_ERROR_NAME_HEADER];
    p.reject(new RpcError(`rpc call to '${p.queue}' failed on the server: ${text(failure)}`, {
      queue: p.queue, correlationId: id, remoteName: name === undefined || name === null ? undefined : text(name),
    }));
  }

  private onReturn(r: ReturnedMessage): void {
    const id = r.properties.correlationId;
    const p = id === undefined ? undefined : this.take(id);
    p?.reject(new UnroutableError(r.fields.replyCode, r.fields.replyText, r.fields.exchange, r.fields.routingKey));
  }

  /** Remove a pending call and stop its timer and abort listener. */
  private take(correlationId: string): Pending | undefined {
    const p = this.pending.get(correlationId);
    if (p === undefined) return undefined;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    return p;
  }

  private failAll(err: Error): void {
    this.closedError ??= err;
    for (const id of [...this.pending.keys()]) this.take(id)?.reject(err);
  }

  private closed(replyText: string): ChannelClosedError {
    return new ChannelClosedError({ replyCode: 200, replyText, classId: 0, methodId: 0, by: 'client' });
  }

  /** Close the client: every pending call rejects with ChannelClosedError, then the channel closes. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.failAll(this.closed('RPC client closed'));
      await this.channel.close();
    })();
    return this.closing;
  }

  /** `await using client = await conn.rpcClient()`: {@link close} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Open an RPC client on its own channel. With `replyQueue: 'direct'` (default) it consumes
 * RabbitMQ's `amq.rabbitmq.reply-to` (noAck, required by the broker) before any request is
 * published; with `'exclusive'` it declares a server-named exclusive queue and consumes that, as
 * the seed's FibonacciRpcClient does.
 */
export async function createRpcClient(source: ChannelSource, options: RpcClientOptions = {}): Promise<RpcClient> {
  const mode = options.replyQueue ?? 'direct';
  if (mode !== 'direct' && mode !== 'exclusive') throw new UsageError(`replyQueue must be 'direct' or 'exclusive', got '${String(mode)}'`);
  const timeout = checkTimeout(options.timeout ?? DEFAULT_TIMEOUT);
  const channel = await source.channel();
  try {
    const replyTo = mode === 'direct' ? DIRECT_REPLY_TO : (await channel.queueDeclare('', { exclusive: true, autoDelete: true })).queue;
    const client = new RpcClient(channel, replyTo, timeout);
    await channel.basicConsume(replyTo, (msg) => client.onReply(msg), { noAck: true });
    return client;
  } catch (e) {
    await channel.close().catch(() => undefined);
    throw e;
  }
}
