/**
 * Connections (and fault proxies) that integration tests open, remembered so that one `afterEach`
 * can close whatever a test left open, including when it failed half-way:
 *
 * ```ts
 * const connections = trackConnections();
 * afterEach(() => connections.closeAll());
 * const { ch } = await connections.openChannel();
 * ```
 */
import { connect, type Channel, type Connection, type ConnectionOptions } from '../../src/index.js';
import { brokerUrl } from './broker.js';

/** Anything a test opens and must close again: a Connection, a FaultProxy. */
export interface Closable {
  close(): Promise<unknown>;
}

/** A connection to the test broker with one channel open on it. */
export interface OpenChannel {
  conn: Connection;
  ch: Channel;
}

/** What {@link trackConnections} returns. Its methods may be passed around unbound. */
export interface ConnectionTracker {
  /** Remembers `thing` for the next {@link ConnectionTracker.closeAll}; returns it. */
  track<T extends Closable>(thing: T): T;
  /** Tracks a connection and the fault proxy it runs through (the connection closes first); returns `proxied`. */
  trackProxied<T extends { proxy: Closable; conn: Closable }>(proxied: T): T;
  /** `connect(url, options)`, tracked; `url` defaults to the test broker's ({@link brokerUrl}). */
  open(url?: string | ConnectionOptions, options?: ConnectionOptions): Promise<Connection>;
  /** A tracked connection to the test broker with `options`, and a channel on it. */
  openChannel(options?: ConnectionOptions): Promise<OpenChannel>;
  /**
   * Closes everything tracked since the last call, newest first and one at a time (so a
   * connection closes before the proxy it runs through), ignoring errors: a test that already
   * closed something, or whose broker killed it, must not fail in its cleanup.
   */
  closeAll(): Promise<void>;
}

/** A fresh, empty tracker; make one per test file. */
export function trackConnections(): ConnectionTracker {
  const opened: Closable[] = [];
  const track = <T extends Closable>(thing: T): T => {
    opened.push(thing);
    return thing;
  };
  const open = async (url: string | ConnectionOptions = brokerUrl(), options?: ConnectionOptions): Promise<Connection> =>
    track(await connect(url, options));
  return {
    track,
    trackProxied<T extends { proxy: Closable; conn: Closable }>(proxied: T): T {
      track(proxied.proxy);
      track(proxied.conn);
      return proxied;
    },
    open,
    async openChannel(options: ConnectionOptions = {}): Promise<OpenChannel> {
      const conn = await open(brokerUrl(), options);
      return { conn, ch: await conn.channel() };
    },
    async closeAll(): Promise<void> {
      for (const thing of opened.splice(0).reverse()) await thing.close().catch(() => undefined);
    },
  };
}
