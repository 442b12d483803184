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
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import {
  startProxy, type Direction, type Endpoint, type LinkHooks, type Pipe, type PipeHooks, type ProxyLink, type TcpProxy,
} from '../../src/transport/proxy.js';

export type { Direction } from '../../src/transport/proxy.js';

/** What a truncated direction does once its last allowed byte is through. */
export type AfterTruncate = 'end' | 'hang' | 'reset';

type Entry =
  | { kind: 'data'; bytes: Buffer; releaseAt: number }
  | { kind: 'end'; releaseAt: number }
  | { kind: 'cut'; releaseAt: number };

/**
 * The faults of one direction of a proxied connection: corruption and truncation as chunks
 * arrive, then a queue that holds each chunk for its delay before the pipe forwards it.
 */
class FaultPipe implements PipeHooks {
  private cut = false;
  private held = false;
  private delayMs = 0;
  private lastRelease = 0;
  private truncateAt: number | undefined;
  private afterTruncate: AfterTruncate = 'end';
  private readonly corruptions = new Map<number, number>();
  private readonly queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pipe: Pipe,
    private readonly onTruncate: (then: AfterTruncate) => void,
  ) {}

  pause(): void {
    this.held = true;
    this.pipe.pause();
  }

  resume(): void {
    this.held = false;
    this.pipe.resume();
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
    if (!this.cut && this.pipe.received >= nBytes) {
      this.cut = true;
      this.enqueue({ kind: 'cut' });
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  onData(chunk: Buffer): void {
    const offset = this.pipe.received - chunk.length;
    if (this.cut) return;
    let bytes = chunk;
    for (const [at, byte] of this.corruptions) {
      if (at < offset || at >= offset + chunk.length) continue;
      if (bytes === chunk) bytes = Buffer.from(chunk);
      bytes[at - offset] = byte;
      this.corruptions.delete(at);
    }
    if (this.truncateAt !== undefined && this.pipe.received >= this.truncateAt) {
      bytes = bytes.subarray(0, this.truncateAt - offset);
      this.cut = true;
      if (bytes.length > 0) this.enqueue({ kind: 'data', bytes });
      this.enqueue({ kind: 'cut' });
      return;
    }
    this.enqueue({ kind: 'data', bytes });
  }

  onEnd(): void {
    this.enqueue({ kind: 'end' });
  }

  private enqueue(entry: { kind: 'data'; bytes: Buffer } | { kind: 'end' } | { kind: 'cut' }): void {
    const releaseAt = Math.max(performance.now() + this.delayMs, this.lastRelease);
    this.lastRelease = releaseAt;
    this.queue.push({ ...entry, releaseAt });
    this.pump();
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    while (!this.held && this.queue.length > 0) {
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
    if (!this.pipe.open) return;
    if (entry.kind === 'cut') this.onTruncate(this.afterTruncate);
    // After a cut nothing more passes, not even the sender's FIN.
    else if (entry.kind === 'end') { if (!this.cut) this.pipe.end(); }
    else this.pipe.write(entry.bytes);
  }
}

/** Where the proxy forwards to. */
export type Upstream = Endpoint;

/** One proxied client connection and the faults that can be applied to it. */
export class ProxyConnection {
  /** 1-based, in order of acceptance. */
  readonly id: number;
  /** The socket facing the client under test. */
  readonly client: Socket;
  /** The socket facing the upstream server. */
  readonly upstream: Socket;
  /** Socket errors seen on either side (ECONNRESET after a drop, ECONNREFUSED upstream, ...). */
  readonly errors: Error[];
  /** Resolves once both sockets have closed. */
  readonly closed: Promise<void>;
  private readonly faults: Record<Direction, FaultPipe>;

  /** @internal Built by {@link FaultProxy}. */
  constructor(private readonly link: ProxyLink) {
    this.id = link.id;
    this.client = link.client;
    this.upstream = link.upstream;
    this.errors = link.errors;
    this.closed = link.closed;
    const fault = (direction: Direction): FaultPipe => new FaultPipe(link.pipes[direction], (then) => {
      if (then === 'end') link.pipes[direction].end();
      else if (then === 'reset') this.drop();
    });
    this.faults = { c2s: fault('c2s'), s2c: fault('s2c') };
  }

  /** @internal The hooks that put the faults in the path. */
  get hooks(): LinkHooks {
    return {
      c2s: this.faults.c2s,
      s2c: this.faults.s2c,
      onClose: () => {
        this.faults.c2s.dispose();
        this.faults.s2c.dispose();
      },
    };
  }

  /** Bytes read so far from the sender of each direction (including bytes discarded by a cut). */
  get received(): Record<Direction, number> {
    return { c2s: this.link.pipes.c2s.received, s2c: this.link.pipes.s2c.received };
  }

  /** Bytes written so far to the receiver of each direction. */
  get forwarded(): Record<Direction, number> {
    return { c2s: this.link.pipes.c2s.forwarded, s2c: this.link.pipes.s2c.forwarded };
  }

  /** True once both sockets are closed. */
  get isClosed(): boolean {
    return this.link.isClosed;
  }

  /**
   * Stops reading from the client. Its writes pile up in the kernel buffers and then in its own
   * socket buffer, so `socket.write()` starts returning false: the way to test backpressure.
   */
  pause(): void {
    this.faults.c2s.pause();
  }

  /** Reads from the client again and forwards what piled up. */
  resume(): void {
    this.faults.c2s.resume();
  }

  /** Stops forwarding server -> client (the proxy stops reading from the server). */
  pauseDownstream(): void {
    this.faults.s2c.pause();
  }

  /** Forwards server -> client again. */
  resumeDownstream(): void {
    this.faults.s2c.resume();
  }

  /** Resets both sockets (TCP RST): both peers see ECONNRESET, not an orderly end. */
  drop(): void {
    this.link.reset();
  }

  /** Destroys both sockets without the RST (what {@link FaultProxy.close} does). */
  destroy(): void {
    this.link.destroy();
  }
  /**
   * Lets exactly `nBytes` (counted from the start of the connection) through in `direction`, then
   * discards the rest and does `then`: `'end'` (default) sends FIN to the receiver, `'hang'` just goes
   * silent, `'reset'` drops the connection. When more than `nBytes` have passed already, the cut
   * happens at once.
   */
  truncateAfter(nBytes: number, direction: Direction, then: AfterTruncate = 'end'): void {
    this.faults[direction].truncateAfter(nBytes, then);
  }

  /**
   * Holds every chunk read from now on for `ms` before forwarding it (order is kept), in one
   * direction or, by default, both. `delay(0)` turns the delay off.
   */
  delay(ms: number, direction?: Direction): void {
    if (direction !== 's2c') this.faults.c2s.setDelay(ms);
    if (direction !== 'c2s') this.faults.s2c.setDelay(ms);
  }

  /**
   * Replaces the byte at stream offset `offset` (counted from the start of the connection in
   * `direction`) with `byte` when it passes. An offset already passed has no effect.
   */
  corrupt(offset: number, byte: number, direction: Direction): void {
    this.faults[direction].corrupt(offset, byte);
  }
}

/** A listening fault proxy; see {@link startFaultProxy}. */
export class FaultProxy {
  /** Port on 127.0.0.1 that clients connect to. */
  readonly port: number;
  /** Every connection accepted so far, open or closed, in order. */
  readonly connections: ProxyConnection[] = [];
  private readonly listeners = new Set<(connection: ProxyConnection) => void>();

  /** @internal Use {@link startFaultProxy}. */
  constructor(private readonly proxy: TcpProxy) {
    this.port = proxy.port;
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
    return this.proxy.close();
  }

  /** @internal The proxy's onLink: a new connection gets its faults, then the listeners. */
  accept(link: ProxyLink): LinkHooks {
    const connection = new ProxyConnection(link);
    this.connections.push(connection);
    for (const listener of [...this.listeners]) listener(connection);
    return connection.hooks;
  }
}

/** Starts a proxy on 127.0.0.1 with an ephemeral port, forwarding to `upstream`. */
export async function startFaultProxy(upstream: Upstream): Promise<FaultProxy> {
  let faults: FaultProxy | undefined;
  // No connection is accepted before `faults` is set: the listen callback resolves `startProxy`,
  // and this continuation runs before the event loop dispatches any 'connection'.
  const proxy = await startProxy({ upstream, onLink: (link) => faults!.accept(link) });
  faults = new FaultProxy(proxy);
  return faults;
}
