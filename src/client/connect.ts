/**
 * `connect()`: resolve options, open the socket (TCP or TLS), run the handshake; retry as the
 * options say.
 * @packageDocumentation
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ProtocolVersionError } from '../frames/errors.js';
import { Connection } from './connection.js';
import { AuthenticationError, ConnectError, TimeoutError } from './errors.js';
import { ArgumentError, resolveConnectionOptions, type ConnectionOptions, type ResolvedConnectionOptions } from './options/index.js';

/**
 * Connect to a broker: `connect('amqp://user:pass@host:5672/vhost?heartbeat=10')`,
 * `connect({ host, credentials, heartbeat })`, or a URL plus an options object. Resolves once
 * connection.open-ok has arrived. Rejects with ConnectError (no socket), AuthenticationError,
 * ProtocolVersionError, TimeoutError (connectionTimeout), ConnectionClosedError (the broker
 * closed: a vhost it refuses, say), FrameError (the server broke the protocol during the
 * handshake, e.g. a frame_max below 4096), or ArgumentError (bad options).
 */
export async function connect(url?: string | ConnectionOptions, options?: ConnectionOptions): Promise<Connection> {
  const opts = resolveConnectionOptions(url, options);
  let last: unknown;
  for (let attempt = 1; attempt <= opts.connectionAttempts; attempt++) {
    try {
      return await connectOnce(opts);
    } catch (e) {
      last = e;
      // Retrying cannot fix a wrong password, a wrong protocol or a bad option.
      if (e instanceof AuthenticationError || e instanceof ProtocolVersionError || e instanceof ArgumentError) throw e;
      if (attempt < opts.connectionAttempts) await new Promise((r) => setTimeout(r, opts.retryDelay));
    }
  }
  throw last;
}

function openSocket(o: ResolvedConnectionOptions): Promise<Socket> {
  const address = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  return new Promise((resolve, reject) => {
    const tcp = { host: o.host, port: o.port, noDelay: o.tcp.noDelay, keepAlive: o.tcp.keepAlive, keepAliveInitialDelay: o.tcp.keepAliveInitialDelay };
    const socket: Socket = o.tls === false
      ? netConnect(tcp)
      : tlsConnect({ ...o.tls, ...tcp });
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(new ConnectError(address, err));
    };
    const onTimeout = () => onError(Object.assign(new Error(`no answer within ${o.socketTimeout} ms`), { code: 'ETIMEDOUT' }));
    const cleanup = () => {
      socket.off('error', onError);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
    };
    if (o.socketTimeout > 0) {
      socket.setTimeout(o.socketTimeout);
      socket.once('timeout', onTimeout);
    }
    socket.once('error', onError);
    socket.once(o.tls === false ? 'connect' : 'secureConnect', () => {
      cleanup();
      // TCP_NODELAY: with Nagle on, a small request waits for the previous ACK (~40 ms per RPC).
      socket.setNoDelay(o.tcp.noDelay);
      resolve(socket);
    });
  });
}

async function connectOnce(o: ResolvedConnectionOptions): Promise<Connection> {
  const started = Date.now();
  const socket = await openSocket(o);
  const conn = new Connection(socket, o);
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
