/**
 * A TCP proxy that sits between a client under test and a real (or fake) server and breaks the
 * connection on purpose: stalls either direction, cuts a stream after N bytes, flips a byte, adds
 * latency, or resets both sockets. Every accepted connection gets a {@link ProxyConnection} with
 * its own controls, so a test can fault one connection and leave the next one alone.
 *
 * ```ts
 * const proxy = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
 * proxy.onConnection((c) => c.truncateAfter(200, 's2c'));      // server goes away mid-frame
 * const conn = await connect(`amqp://guest:guest@127.0.0.1:${proxy.port}`);
 * ...
 * await proxy.close();
 * ```
 * @packageDocumentation
 */
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** `c2s`: bytes from the client to the upstream server; `s2c`: the server's replies. */
export type Direction = 'c2s' | 's2c';

/** What a truncated direction does once its last allowed byte is through. */
export type AfterTruncate = 'end' | 'hang' | 'reset';

type Entry =
  | { kind: 'data'; bytes: Buffer; releaseAt: number }
  | { kind: 'end'; releaseAt: number }
  | { kind: 'cut'; releaseAt: number };

/**
 * One direction of a proxied connection: reads `from`, applies corruption and truncation, queues
 * chunks for their delay, writes `to`. Honors `to`'s backpressure by pausing `from`.
 */
class FaultPipe {
  received = 0;
  forwarded = 0;
  private paused = false;
  private blocked = false;
  private cut = false;
  private delayMs = 0;
  private lastRelease = 0;
  private truncateAt: number | undefined;
  private afterTruncate: AfterTruncate = 'end';
  private readonly corruptions = new Map<number, number>();
  private readonly queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly onTruncate: (then: AfterTruncate, to: Socket) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.onData(chunk));
    from.on('end', () => this.enqueue({ kind: 'end' }));
    to.on('drain', () => {
      this.blocked = false;
      this.updateReading();
    });
  }

  pause(): void {
    this.paused = true;
    this.updateReading();
  }

  resume(): void {
    this.paused = false;
    this.updateReading();
    this.pump();
  }

  setDelay(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`delay must be >= 0 ms, got ${ms}`);
    this.delayMs = ms;
  }

  corrupt(offset: number, byte: number): void {
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`corrupt: bad offset ${offset}`);
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) throw new RangeError(`corrupt: bad byte ${byte}`);
    this.corruptions.set(offset, byte);
  }

  truncateAfter(nBytes: number, then: AfterTruncate): void {
    if (!Number.isInteger(nBytes) || nBytes < 0) throw new RangeError(`truncateAfter: bad byte count ${nBytes}`);
    this.truncateAt = nBytes;
    this.afterTruncate = then;
    if (!this.cut && this.received >= nBytes) {
      this.cut = true;
      this.enqueue({ kind: 'cut' });
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private onData(chunk: Buffer): void {
    const offset = this.received;
    this.received += chunk.length;
    if (this.cut) return;
    let bytes = chunk;
    for (const [at, byte] of this.corruptions) {
      if (at < offset || at >= offset + chunk.length) continue;
      if (bytes === chunk) bytes = Buffer.from(chunk);
      bytes[at - offset] = byte;
      this.corruptions.delete(at);
    }
    if (this.truncateAt !== undefined && this.received >= this.truncateAt) {
      bytes = bytes.subarray(0, this.truncateAt - offset);
      this.cut = true;
      if (bytes.length > 0) this.enqueue({ kind: 'data', bytes });
      this.enqueue({ kind: 'cut' });
      return;
    }
    this.enqueue({ kind: 'data', bytes });
  }

  private enqueue(entry: { kind: 'data'; bytes: Buffer } | { kind: 'end' } | { kind: 'cut' }): void {
    const releaseAt = Math.max(performance.now() + this.delayMs, this.lastRelease);
    this.lastRelease = releaseAt;
    this.queue.push({ ...entry, releaseAt });
    this.pump();
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    while (!this.paused && this.queue.length > 0) {
      const head = this.queue[0] as Entry;
      const wait = head.releaseAt - performance.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(wait));
        return;
      }
      this.queue.shift();
      this.deliver(head);
    }
  }

  private deliver(entry: Entry): void {
    if (this.to.destroyed) return;
    if (entry.kind === 'cut') {
      this.onTruncate(this.afterTruncate, this.to);
    } else if (entry.kind === 'end') {
      // After a cut nothing more passes, not even the sender's FIN.
      if (!this.cut) this.to.end();
    } else {
      this.forwarded += entry.bytes.length;
      if (!this.to.write(entry.bytes)) {
        this.blocked = true;
        this.updateReading();
      }
    }
  }

  private updateReading(): void {
    if (this.paused || this.blocked) this.from.pause();
    else this.from.resume();
  }
}

/** Where the proxy forwards to. */
export interface Upstream {
  host: string;
  port: number;
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

/** One proxied client connection and the faults that can be applied to it. */
export class ProxyConnection {
  /** 1-based, in order of acceptance. */
  readonly id: number;
  /** The socket facing the client under test. */
  readonly client: Socket;
  /** The socket facing the upstream server. */
  readonly upstream: Socket;
  /** Socket errors seen on either side (ECONNRESET after a drop, ECONNREFUSED upstream, ...). */
  readonly errors: Error[] = [];
  /** Resolves once both sockets have closed. */
  readonly closed: Promise<void>;
  private readonly pipes: Record<Direction, FaultPipe>;

  /** @internal Built by {@link FaultProxy}. */
  constructor(id: number, client: Socket, upstream: Socket) {
    this.id = id;
    this.client = client;
    this.upstream = upstream;
    const onTruncate = (then: AfterTruncate, to: Socket): void => {
      if (then === 'end') to.end();
      else if (then === 'reset') this.drop();
    };
    this.pipes = {
      c2s: new FaultPipe(client, upstream, onTruncate),
      s2c: new FaultPipe(upstream, client, onTruncate),
    };
    // A socket error on one side is passed on as an abortive close of the other, as a real
    // network path would do.
    client.on('error', (err) => { this.errors.push(err); reset(upstream); });
    upstream.on('error', (err) => { this.errors.push(err); reset(client); });
    this.closed = Promise.all([whenClosed(client), whenClosed(upstream)]).then(() => {
      this.pipes.c2s.dispose();
      this.pipes.s2c.dispose();
    });
  }

  /** Bytes read so far from the sender of each direction (including bytes discarded by a cut). */
  get received(): Record<Direction, number> {
    return { c2s: this.pipes.c2s.received, s2c: this.pipes.s2c.received };
  }

  /** Bytes written so far to the receiver of each direction. */
  get forwarded(): Record<Direction, number> {
    return { c2s: this.pipes.c2s.forwarded, s2c: this.pipes.s2c.forwarded };
  }

  /** True once both sockets are closed. */
  get isClosed(): boolean {
    return this.client.closed && this.upstream.closed;
  }

  /**
   * Stops reading from the client. Its writes pile up in the kernel buffers and then in its own
   * socket buffer, so `socket.write()` starts returning false: the way to test backpressure.
   */
  pause(): void {
    this.pipes.c2s.pause();
  }

  /** Reads from the client again and forwards what piled up. */
  resume(): void {
    this.pipes.c2s.resume();
  }

  /** Stops forwarding server -> client (the proxy stops reading from the server). */
  pauseDownstream(): void {
    this.pipes.s2c.pause();
  }

  /** Forwards server -> client again. */
  resumeDownstream(): void {
    this.pipes.s2c.resume();
  }

  /** Resets both sockets (TCP RST): both peers see ECONNRESET, not an orderly end. */
  drop(): void {
    reset(this.client);
    reset(this.upstream);
  }

  /** Destroys both sockets without the RST (what {@link FaultProxy.close} does). */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /**
   * Lets exactly `nBytes` (counted from the start of the connection) through in `direction`, then
   * discards the rest and does `then`: `'end'` (default) sends FIN to the receiver, `'hang'` just goes
   * silent, `'reset'` drops the connection. When more than `nBytes` have passed already, the cut
   * happens at once.
   */
  truncateAfter(nBytes: number, direction: Direction, then: AfterTruncate = 'end'): void {
    this.pipes[direction].truncateAfter(nBytes, then);
  }

  /**
   * Holds every chunk read from now on for `ms` before forwarding it (order is kept), in one
   * direction or, by default, both. `delay(0)` turns the delay off.
   */
  delay(ms: number, direction?: Direction): void {
    if (direction !== 's2c') this.pipes.c2s.setDelay(ms);
    if (direction !== 'c2s') this.pipes.s2c.setDelay(ms);
  }

  /**
   * Replaces the byte at stream offset `offset` (counted from the start of the connection in
   * `direction`) with `byte` when it passes. An offset already passed has no effect.
   */
  corrupt(offset: number, byte: number, direction: Direction): void {
    this.pipes[direction].corrupt(offset, byte);
  }
}

/** A listening fault proxy; see {@link startFaultProxy}. */
export class FaultProxy {
  /** Port on 127.0.0.1 that clients connect to. */
  readonly port: number;
  /** Every connection accepted so far, open or closed, in order. */
  readonly connections: ProxyConnection[] = [];
  private readonly server: Server;
  private readonly upstream: Upstream;
  private readonly listeners = new Set<(connection: ProxyConnection) => void>();
  private closing: Promise<void> | undefined;

  /** @internal Use {@link startFaultProxy}. */
  constructor(server: Server, upstream: Upstream) {
    this.server = server;
    this.upstream = upstream;
    this.port = (server.address() as AddressInfo).port;
    server.on('connection', (socket) => this.accept(socket));
  }

  /**
   * Calls `listener` synchronously for each new connection, before any byte is forwarded, so
   * faults set there apply from the first byte. Returns a function that removes the listener.
   */
  onConnection(listener: (connection: ProxyConnection) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the next connection accepted. */
  nextConnection(): Promise<ProxyConnection> {
    return new Promise((resolve) => {
      const off = this.onConnection((connection) => {
        off();
        resolve(connection);
      });
    });
  }

  /** Destroys every connection and stops listening; resolves when no socket or server is left. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const serverClosed = new Promise<void>((done) => this.server.close(() => done()));
      for (const connection of this.connections) connection.destroy();
      void Promise.all([serverClosed, ...this.connections.map((c) => c.closed)]).then(() => resolve());
    });
    return this.closing;
  }

  private accept(client: Socket): void {
    const upstream = net.connect({ host: this.upstream.host, port: this.upstream.port, allowHalfOpen: true });
    const connection = new ProxyConnection(this.connections.length + 1, client, upstream);
    this.connections.push(connection);
    if (this.closing !== undefined) {
      connection.destroy();
      return;
    }
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const listener of [...this.listeners]) listener(connection);
  }
}

/** Starts a proxy on 127.0.0.1 with an ephemeral port, forwarding to `upstream`. */
export async function startFaultProxy(upstream: Upstream): Promise<FaultProxy> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new FaultProxy(server, upstream);
}
