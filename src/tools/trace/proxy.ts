/**
 * The trace proxy: the transport's TCP proxy (src/transport/proxy.ts) with every chunk forwarded
 * first, untouched, then recorded and decoded. The decoder never throws into the pipe, so bytes
 * go through whatever it makes of them; backpressure is the base proxy's.
 * @packageDocumentation
 */
import net from 'node:net';
import tls from 'node:tls';
import { startProxy, type Endpoint, type TcpProxy } from '../../transport/proxy.js';
import { RecordKind, type RecordingWriter } from './recording.js';
import { traceNow, type Tracer } from './tracer.js';

/** Where the trace proxy listens and what it forwards to. */
export interface TraceProxyOptions {
  readonly upstream: Endpoint;
  /** Dial the upstream over TLS (an amqps URL). */
  readonly tls?: tls.ConnectionOptions | undefined;
  /** Listening address, default 127.0.0.1; port, default 0 (any: read it from the proxy). */
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly tracer: Tracer;
  /** Also writes every chunk to a recording. */
  readonly recorder?: RecordingWriter | undefined;
  /** Appends each TLS session's keys (NSS key log format) here, for Wireshark. */
  readonly onKeylog?: ((line: Buffer) => void) | undefined;
}

/** Starts a trace proxy; close it with `close()`. */
export function startTraceProxy(options: TraceProxyOptions): Promise<TcpProxy> {
  const { tracer, recorder } = options;
  const tlsOptions = options.tls;
  return startProxy({
    upstream: options.upstream,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(tlsOptions === undefined ? {} : {
      connectUpstream: (up: Endpoint) => {
        const socket = tls.connect({ ...(net.isIP(up.host) ? {} : { servername: up.host }), ...tlsOptions, host: up.host, port: up.port });
        if (options.onKeylog) socket.on('keylog', options.onKeylog);
        return socket;
      },
    }),
    onLink: (link) => {
      const label = `${link.client.remoteAddress ?? '?'}:${link.client.remotePort ?? '?'} -> ${options.upstream.host}:${options.upstream.port}${tlsOptions ? ' (TLS)' : ''}`;
      const conn = tracer.connection(link.id, label);
      recorder?.write(RecordKind.OPEN, link.id, Buffer.from(label, 'utf8'));
      const through = (dir: 'C->S' | 'S->C', kind: RecordKind) => ({
        onData(chunk: Buffer, pipe: { write(b: Buffer): void }): void {
          pipe.write(chunk);
          recorder?.write(kind, link.id, chunk);
          conn.push(dir, chunk);
        },
      });
      let reason: string | undefined;
      return {
        c2s: through('C->S', RecordKind.C2S),
        s2c: through('S->C', RecordKind.S2C),
        onError: (err, side) => {
          reason ??= `${side} socket error: ${err.message}`;
        },
        onClose: () => {
          recorder?.write(RecordKind.CLOSE, link.id, Buffer.from(reason ?? '', 'utf8'));
          conn.close(traceNow(), reason);
        },
      };
    },
  });
}
