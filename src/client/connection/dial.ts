/**
 * Dialling: a TCP or TLS socket to the broker, with the socket options amqp-wire relies on.
 * @packageDocumentation
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ConnectError } from '../errors.js';
import type { ResolvedConnectionOptions } from '../options/index.js';

/** Open a connected socket (TCP, or TLS once the server certificate is accepted) to `o.host`. */
export function dial(o: ResolvedConnectionOptions): Promise<Socket> {
  const address = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  return new Promise((resolve, reject) => {
    const tcp = { host: o.host, port: o.port, noDelay: o.tcp.noDelay, keepAlive: o.tcp.keepAlive, keepAliveInitialDelay: o.tcp.keepAliveInitialDelay };
    const socket: Socket = o.tls === false
      ? netConnect(tcp)
      : tlsConnect({ ...o.tls, ...tcp });
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(new ConnectError(address, err, { host: o.host, tls: o.tls !== false }));
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

