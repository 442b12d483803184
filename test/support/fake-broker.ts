/**
 * A scripted fake AMQP broker: a `node:net` server on 127.0.0.1 that speaks amqp-wire's own
 * codec, for what a real RabbitMQ will not do on demand (malformed frames, silence, odd tune
 * values, replies in a chosen order).
 *
 * ```ts
 * const fb = await FakeBroker.start(async (peer) => {
 *   await peer.handshake({ tune: { heartbeat: 1 } });
 *   peer.autoReply(['channel.open']);
 *   const m = await peer.expect('queue.declare');
 *   peer.send(m.channel, 'queue.declare-ok', { queue: m.args.queue, messageCount: 0, consumerCount: 0 });
 * });
 * const conn = await fb.connect();          // connect() with host/port of the fake
 * const peer = await fb.peer();             // drive the same peer from the test body, too
 * ...
 * await fb.finished();                      // the script's expectations held
 * await fb.close();                         // no socket or timer left
 * ```
 *
 * The script runs once per accepted connection, after the client's 8-byte protocol header. A
 * script that throws has its socket destroyed (so the client fails fast) and its error kept for
 * `finished()`.
 * @packageDocumentation
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect, type Connection } from '../../src/index.js';
import type { ConnectionOptions } from '../../src/client/options/index.js';
import { FakePeer } from './fake-broker-peer.js';

export { FakePeer, FakeExpectationError, type PullOptions, type DeliverFields, type PeerClosed } from './fake-broker-peer.js';
export type { Inbound, InboundMethod, InboundHeartbeat, InboundFault, ReceivedFrame } from './fake-broker-inbound.js';
export { DEFAULT_TUNE, SERVER_CAPABILITIES, sendStart, type HandshakeOptions, type HandshakeResult, type AutoReplyName } from './fake-broker-scripts.js';

/** What runs against each client connection. */
export type PeerScript = (peer: FakePeer) => Promise<void> | void;

/** A listening fake broker. */
export class FakeBroker {
  /** Every accepted connection, in order. */
  readonly peers: FakePeer[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly runs: Array<Promise<void>> = [];
  private readonly errors: Error[] = [];
  private peerWaiters: Array<{ index: number; resolve: (p: FakePeer) => void }> = [];
  private closing: Promise<void> | null = null;

  private constructor(private readonly server: Server, private readonly script: PeerScript) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listen on 127.0.0.1 at a free port and run `script` for every connection. */
  static async start(script: PeerScript = (peer) => peer.handshake().then(() => undefined)): Promise<FakeBroker> {
    const server = createServer();
    const fb = new FakeBroker(server, script);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return fb;
  }

  /** The port the fake listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `amqp://guest:guest@127.0.0.1:<port>/`. */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/`;
  }

  /** Connection options pointing at the fake, with a short connectionTimeout; `extra` wins. */
  options(extra: ConnectionOptions = {}): ConnectionOptions {
    return { host: '127.0.0.1', port: this.port, connectionTimeout: 2000, ...extra };
  }

  /** `connect()` to the fake. */
  connect(extra: ConnectionOptions = {}): Promise<Connection> {
    return connect(this.options(extra));
  }

  /** The `index`-th accepted connection, once it has arrived. */
  peer(index = 0): Promise<FakePeer> {
    const p = this.peers[index];
    if (p) return Promise.resolve(p);
    return new Promise((resolve) => this.peerWaiters.push({ index, resolve }));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const peer = new FakePeer(socket, this.peers.length);
    this.peers.push(peer);
    const ready = this.peerWaiters.filter((w) => w.index === peer.index);
    this.peerWaiters = this.peerWaiters.filter((w) => w.index !== peer.index);
    for (const w of ready) w.resolve(peer);
    this.runs.push(this.run(peer));
  }

  private async run(peer: FakePeer): Promise<void> {
    const header = await peer.header();
    if (header === null) return;
    try {
      await this.script(peer);
    } catch (e) {
      this.errors.push(e as Error);
      peer.destroy();
    }
  }

  /** Wait until every script has returned; throw the first script or auto-reply error. */
  async finished(): Promise<void> {
    await Promise.all(this.runs);
    const handlerErrors = this.peers.flatMap((p) => p.handlerErrors);
    const first = this.errors[0] ?? handlerErrors[0];
    if (first) throw first;
  }

  /** Script errors so far (scripts still running are not waited for). */
  get scriptErrors(): readonly Error[] {
    return this.errors;
  }

  /** Destroy every connection and stop listening. Never throws; resolves once all is closed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.peers.map((p) => p.closed);
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      await Promise.all(closed);
      await Promise.allSettled(this.runs);
    })();
    return this.closing;
  }
}
