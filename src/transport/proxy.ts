/**
 * A TCP proxy base: listens, dials the upstream for each accepted client, and pipes bytes both
 * ways with a hook per chunk and per direction, backpressure honored, and teardown that leaves no
 * socket behind. It knows nothing of AMQP; what to do with the bytes (record them, print them,
 * delay or damage them) belongs to whoever builds on it.
 *
 * ```ts
 * const proxy = await startProxy({
 *   upstream: { host: '127.0.0.1', port: 5672 },
 *   onLink: (link) => ({
 *     c2s: { onData: (chunk, pipe) => { console.log(`C->S ${chunk.length}`); pipe.write(chunk); } },
 *   }),
 * });
 * // clients connect to 127.0.0.1:proxy.port
 * await proxy.close();
 * ```
 * @packageDocumentation
 */
import net, { type AddressInfo, type Server, type Socket } from 'node:net';

/** `c2s`: bytes from the client to the upstream server; `s2c`: the server's replies. */
export type Direction = 'c2s' | 's2c';

/** A host and port. */
export interface Endpoint {
  host: string;
  port: number;
}

/** What one direction does with what its sender sends. Both hooks are optional. */
export interface PipeHooks {
  /** A chunk read from the sender. Default: `pipe.write(chunk)`. */
  onData?(chunk: Buffer, pipe: Pipe): void;
  /** The sender ended its side (FIN). Default: `pipe.end()`. */
  onEnd?(pipe: Pipe): void;
}

/** The hooks of one proxied connection, returned by {@link ProxyOptions.onLink}. */
export interface LinkHooks {
  c2s?: PipeHooks;
  s2c?: PipeHooks;
  /** A socket error on `side`; the proxy has already reset the other side. */
  onError?(err: Error, side: 'client' | 'upstream'): void;
  /** Both sockets have closed. */
  onClose?(): void;
}

/** Where a proxy listens, where it forwards to, and what it does per connection. */
export interface ProxyOptions {
  upstream: Endpoint;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on. Default 0: an ephemeral port, read it from {@link TcpProxy.port}. */
  port?: number;
  /**
   * Called synchronously for each accepted connection, before any byte is read, so what it sets
   * up applies from the first byte. Without hooks (or without this option) bytes pass unchanged.
   */
  onLink?(link: ProxyLink): LinkHooks | undefined;
  /** Dials the upstream for each client (a TLS socket, say). Default: plain TCP to `upstream`. */
  connectUpstream?(upstream: Endpoint): Socket;
}

/**
 * One direction of a link: reads its sender, writes its receiver. Reading stops while the
 * receiver's buffer is full (until `drain`) and while {@link Pipe.pause} holds it.
 */
export class Pipe {
  /** Bytes read from the sender so far, whatever became of them. */
  received = 0;
  /** Bytes written to the receiver so far. */
  forwarded = 0;
  private paused = false;
  private blocked = false;

  /** @internal Built by {@link ProxyLink}, one each way. */
  constructor(
    readonly direction: Direction,
    private readonly from: Socket,
    private readonly to: Socket,
  ) {
    to.on('drain', () => {
      this.blocked = false;
      this.updateReading();
    });
  }

  /** Writes to the receiver, unless its socket is gone. */
  write(bytes: Buffer): void {
    if (this.to.destroyed) return;
    this.forwarded += bytes.length;
    if (!this.to.write(bytes)) {
      this.blocked = true;
      this.updateReading();
    }
  }

  /** Ends the receiver's side (FIN), unless its socket is gone. */
  end(): void {
    if (!this.to.destroyed) this.to.end();
  }

  /** True while the receiver's socket can still be written or ended. */
  get open(): boolean {
    return !this.to.destroyed;
  }

  /** Stops reading from the sender; its writes back up into its own buffers. */
  pause(): void {
    this.paused = true;
    this.updateReading();
  }

  /** Reads from the sender again. */
  resume(): void {
    this.paused = false;
    this.updateReading();
  }

  /** @internal Wires the sender to `hooks`; called once, after the link's hooks are known. */
  attach(hooks: PipeHooks = {}): void {
    this.from.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      if (hooks.onData) hooks.onData(chunk, this);
      else this.write(chunk);
    });
    this.from.on('end', () => {
      if (hooks.onEnd) hooks.onEnd(this);
      else this.end();
    });
  }

  private updateReading(): void {
    if (this.paused || this.blocked) this.from.pause();
    else this.from.resume();
  }
}

/** Resets a socket (TCP RST) if it is still open; falls back to destroy for odd handles. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function whenClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
}

/** One proxied connection: the client's socket, the upstream's, and a pipe each way. */
export class ProxyLink {
  /** Socket errors seen on either side (ECONNRESET after a drop, ECONNREFUSED upstream, ...). */
  readonly errors: Error[] = [];
  /** Resolves once both sockets have closed (and `onClose` has run). */
  readonly closed: Promise<void>;
  /** The two directions. */
  readonly pipes: Readonly<Record<Direction, Pipe>>;
  private hooks: LinkHooks = {};

  /** @internal Built by {@link TcpProxy} for each accepted client. */
  constructor(
    /** 1-based, in order of acceptance. */
    readonly id: number,
    /** The socket facing the client. */
    readonly client: Socket,
    /** The socket facing the upstream server. */
    readonly upstream: Socket,
  ) {
    this.pipes = { c2s: new Pipe('c2s', client, upstream), s2c: new Pipe('s2c', upstream, client) };
    // A socket error on one side is passed on as an abortive close of the other, as a real
    // network path would do.
    client.on('error', (err) => this.onSocketError(err, 'client', upstream));
    upstream.on('error', (err) => this.onSocketError(err, 'upstream', client));
    this.closed = Promise.all([whenClosed(client), whenClosed(upstream)]).then(() => this.hooks.onClose?.());
  }

  /** True once both sockets are closed. */
  get isClosed(): boolean {
    return this.client.closed && this.upstream.closed;
  }

  /** Resets both sockets (TCP RST): both peers see ECONNRESET, not an orderly end. */
  reset(): void {
    reset(this.client);
    reset(this.upstream);
  }

  /** Destroys both sockets without the RST. */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** @internal Starts the flow with the hooks the proxy's owner chose. */
  start(hooks: LinkHooks): void {
    this.hooks = hooks;
    this.pipes.c2s.attach(hooks.c2s);
    this.pipes.s2c.attach(hooks.s2c);
  }

  private onSocketError(err: Error, side: 'client' | 'upstream', other: Socket): void {
    this.errors.push(err);
    reset(other);
    this.hooks.onError?.(err, side);
  }
}

/** A listening proxy; see {@link startProxy}. */
export class TcpProxy {
  /** The port it listens on. */
  readonly port: number;
  private readonly open = new Set<ProxyLink>();
  private accepted = 0;
  private closing: Promise<void> | undefined;

  /** @internal Use {@link startProxy}. */
  constructor(
    private readonly server: Server,
    private readonly options: ProxyOptions,
  ) {
    this.port = (server.address() as AddressInfo).port;
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Connections accepted and not yet closed. */
  get openLinks(): number {
    return this.open.size;
  }

  /**
   * Stops listening and destroys every open connection; resolves when no socket or server is
   * left. Every call returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const serverClosed = new Promise<void>((done) => this.server.close(() => done()));
      const links = [...this.open];
      for (const link of links) link.destroy();
      void Promise.all([serverClosed, ...links.map((l) => l.closed)]).then(() => resolve());
    });
    return this.closing;
  }

  private accept(client: Socket): void {
    if (this.closing !== undefined) {
      client.destroy();
      return;
    }
    const { host, port } = this.options.upstream;
    const upstream = this.options.connectUpstream?.(this.options.upstream) ?? net.connect({ host, port, allowHalfOpen: true });
    this.accepted += 1;
    const link = new ProxyLink(this.accepted, client, upstream);
    this.open.add(link);
    void link.closed.then(() => this.open.delete(link));
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    link.start(this.options.onLink?.(link) ?? {});
  }
}

/** Starts a proxy listening on `options.host`:`options.port` (default 127.0.0.1, any port). */
export async function startProxy(options: ProxyOptions): Promise<TcpProxy> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new TcpProxy(server, options);
}
