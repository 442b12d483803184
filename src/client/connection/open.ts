/**
 * Opening a connection: resolve options, dial, run the handshake within connectionTimeout; retry
 * as the options say.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { ProtocolVersionError } from '../../frames/errors.js';
import { AuthenticationError, NotAmqpError, TimeoutError } from '../errors.js';
import { ArgumentError, resolveConnectionOptions, type ConnectionOptions, type ResolvedConnectionOptions } from '../options/index.js';
import { dial } from './dial.js';
import type { ConnectionEngine } from './engine.js';

/** Builds the connection object on a connected socket. */
export type ConnectionFactory<C extends ConnectionEngine> = (socket: Socket, options: ResolvedConnectionOptions) => C;

/**
 * Open a connection and build it with `make` once the socket is connected; resolves once
 * connection.open-ok has arrived (the package's `connect()` documents what it rejects with).
 * Retries `connectionAttempts` times, `retryDelay` apart, unless retrying cannot help.
 */
export async function openConnection<C extends ConnectionEngine>(
  make: ConnectionFactory<C>, url?: string | ConnectionOptions, options?: ConnectionOptions,
): Promise<C> {
  const opts = resolveConnectionOptions(url, options);
  let last: unknown;
  for (let attempt = 1; attempt <= opts.connectionAttempts; attempt++) {
    try {
      return await connectOnce(make, opts);
    } catch (e) {
      last = e;
      // Retrying cannot fix a wrong password, a wrong protocol or port, or a bad option.
      if (e instanceof AuthenticationError || e instanceof ProtocolVersionError || e instanceof NotAmqpError || e instanceof ArgumentError) throw e;
      if (attempt < opts.connectionAttempts) await new Promise((r) => setTimeout(r, opts.retryDelay));
    }
  }
  throw last;
}

async function connectOnce<C extends ConnectionEngine>(make: ConnectionFactory<C>, o: ResolvedConnectionOptions): Promise<C> {
  const started = Date.now();
  const socket = await dial(o);
  const conn = make(socket, o);
  const remaining = o.connectionTimeout > 0 ? Math.max(1, o.connectionTimeout - (Date.now() - started)) : 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    const handshake = conn.start();
    if (remaining === 0) await handshake;
    else {
      await Promise.race([
        handshake,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError('connect (AMQP handshake)', o.connectionTimeout)), remaining);
        }),
      ]);
    }
    return conn;
  } catch (e) {
    await conn.close().catch(() => undefined);
    socket.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
