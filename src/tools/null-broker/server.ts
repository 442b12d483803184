/**
 * The null broker: a TCP server on 127.0.0.1 whose connections are {@link DiscardSession}s sharing
 * one {@link Routes}, so producers and consumers on different connections meet.
 * @packageDocumentation
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DiscardSession, Routes } from './discard-session.js';

/** A listening null broker. */
export interface NullBrokerServer {
  readonly port: number;
  /** Stop listening and drop every connection. */
  close(): Promise<void>;
}

/** Listen on 127.0.0.1 (`port` 0: any free port). */
export function listenNullBroker(port = 0): Promise<NullBrokerServer> {
  const routes = new Routes();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new DiscardSession(socket, routes);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
