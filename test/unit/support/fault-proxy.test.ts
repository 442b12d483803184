import { once } from 'node:events';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, type ProxyConnection, startFaultProxy } from '../../support/fault-proxy.js';

/** An echo server that remembers its sockets and what each received. */
interface Echo {
  server: Server;
  port: number;
  sockets: Socket[];
  received: Buffer[][];
  ended: boolean[];
  errors: Error[];
}

async function startEcho(): Promise<Echo> {
  const echo: Echo = { server: net.createServer({ allowHalfOpen: true }), port: 0, sockets: [], received: [], ended: [], errors: [] };
  echo.server.on('connection', (socket) => {
    const i = echo.sockets.push(socket) - 1;
    echo.received[i] = [];
    echo.ended[i] = false;
    socket.on('data', (chunk: Buffer) => {
      echo.received[i]?.push(chunk);
      socket.write(chunk);
    });
    socket.on('end', () => {
      echo.ended[i] = true;
      socket.end();
    });
    socket.on('error', (err) => echo.errors.push(err));
  });
  echo.server.listen(0, '127.0.0.1');
  await once(echo.server, 'listening');
  echo.port = (echo.server.address() as AddressInfo).port;
  return echo;
}

async function closeEcho(echo: Echo): Promise<void> {
  for (const socket of echo.sockets) socket.destroy();
  await new Promise<void>((resolve) => echo.server.close(() => resolve()));
}

/** A client socket that collects what it reads and records how it ended. */
interface Client {
  socket: Socket;
  bytes: () => Buffer;
  ended: Promise<'end' | Error>;
}

async function dial(port: number): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<'end' | Error>((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (err) => resolve(err));
  });
  await once(socket, 'connect');
  return { socket, bytes: () => Buffer.concat(chunks), ended };
}

/** Waits until `check` holds, polling every few ms; fails the test after `ms`. */
async function until(check: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const payload = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

describe('fault proxy', () => {
  let echo: Echo;
  let proxy: FaultProxy;
  const clients: Client[] = [];

  beforeEach(async () => {
    echo = await startEcho();
    proxy = await startFaultProxy({ host: '127.0.0.1', port: echo.port });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await closeEcho(echo);
  });

  async function open(): Promise<{ client: Client; conn: ProxyConnection }> {
    const next = proxy.nextConnection();
    const client = await dial(proxy.port);
    clients.push(client);
    return { client, conn: await next };
  }

  it('forwards both ways and counts bytes per direction', async () => {
    const { client, conn } = await open();
    const data = payload(1000);
    client.socket.write(data);
    await until(() => client.bytes().length === 1000, 'echo');
    expect(client.bytes().equals(data)).toBe(true);
    expect(conn.received).toEqual({ c2s: 1000, s2c: 1000 });
    expect(conn.forwarded).toEqual({ c2s: 1000, s2c: 1000 });
  });

  it('passes an orderly close (FIN) through in both directions', async () => {
    const { client, conn } = await open();
    client.socket.end(Buffer.from('bye'));
    expect(await client.ended).toBe('end');
    expect(client.bytes().toString()).toBe('bye');
    expect(echo.ended[0]).toBe(true);
    await conn.closed;
    expect(conn.isClosed).toBe(true);
  });

  it('lists connections and tells onConnection listeners, which can unsubscribe', async () => {
    const seen: number[] = [];
    const off = proxy.onConnection((c) => seen.push(c.id));
    await open();
    off();
    await open();
    expect(seen).toEqual([1]);
    expect(proxy.connections.map((c) => c.id)).toEqual([1, 2]);
  });

  it('pause() stops reading from the client so its writes back up, resume() delivers them', async () => {
    const { client, conn } = await open();
    conn.pause();
    const data = payload(8 * 1024 * 1024);
    const accepted = client.socket.write(data);
    await sleep(100);
    const stalledAt = conn.received.c2s;
    await sleep(100);
    expect(accepted).toBe(false);
    expect(conn.received.c2s).toBe(stalledAt);
    expect(stalledAt).toBeLessThan(data.length);
    expect(client.socket.writableLength).toBeGreaterThan(0);
    conn.resume();
    await until(() => client.bytes().length === data.length, 'all bytes echoed', 10_000);
    expect(client.bytes().equals(data)).toBe(true);
  }, 30_000); // 8 MiB through two proxy hops: seconds on a loaded two-core machine

  it('pauseDownstream() holds server replies until resumeDownstream()', async () => {
    const { client, conn } = await open();
    conn.pauseDownstream();
    client.socket.write(payload(64));
    await until(() => echo.received[0]?.length === 1, 'server got the bytes');
    await sleep(50);
    expect(client.bytes().length).toBe(0);
    expect(conn.forwarded).toEqual({ c2s: 64, s2c: 0 });
    conn.resumeDownstream();
    await until(() => client.bytes().length === 64, 'held reply');
    expect(conn.forwarded.s2c).toBe(64);
  });

  it('drop() resets both sides', async () => {
    const { client, conn } = await open();
    client.socket.write('x');
    await until(() => client.bytes().length === 1, 'echo');
    conn.drop();
    const outcome = await client.ended;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    await until(() => echo.errors.length === 1, 'server side reset');
    expect((echo.errors[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    await conn.closed;
  });

  it('truncateAfter(n, "s2c") lets n bytes reach the client, then ends', async () => {
    const { client, conn } = await open();
    conn.truncateAfter(5, 's2c');
    client.socket.write(payload(12));
    expect(await client.ended).toBe('end');
    expect(client.bytes().equals(payload(5))).toBe(true);
    expect(conn.received.s2c).toBe(12);
    expect(conn.forwarded.s2c).toBe(5);
  });

  it('truncateAfter(n, "c2s") counts from the start of the connection', async () => {
    const { client, conn } = await open();
    client.socket.write(payload(3));
    await until(() => client.bytes().length === 3, 'first echo');
    conn.truncateAfter(7, 'c2s');
    client.socket.write(payload(10));
    await until(() => echo.ended[0] === true, 'server sees FIN');
    expect(Buffer.concat(echo.received[0] ?? []).equals(Buffer.concat([payload(3), payload(4)]))).toBe(true);
  });

  it('truncateAfter(n, dir, "hang") goes silent without closing', async () => {
    const { client, conn } = await open();
    conn.truncateAfter(2, 's2c', 'hang');
    client.socket.write(payload(6));
    await until(() => conn.received.s2c === 6, 'server reply read');
    await sleep(50);
    expect(client.bytes().equals(payload(2))).toBe(true);
    expect(client.socket.readableEnded).toBe(false);
    expect(conn.isClosed).toBe(false);
  });

  it('truncateAfter(n, dir, "reset") drops the connection at the cut', async () => {
    const { client, conn } = await open();
    conn.truncateAfter(4, 's2c', 'reset');
    client.socket.write(payload(9));
    // An RST right behind data may surface on Linux as EOF rather than ECONNRESET, so the client
    // side only proves the cut; the server side, idle when the RST arrives, proves the reset.
    await client.ended;
    expect(client.bytes().equals(payload(4))).toBe(true);
    await until(() => echo.errors.length === 1, 'server side reset');
    expect((echo.errors[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    await conn.closed;
  });

  it('cuts at once when the limit is already behind', async () => {
    const { client, conn } = await open();
    client.socket.write(payload(10));
    await until(() => client.bytes().length === 10, 'echo');
    conn.truncateAfter(4, 's2c');
    expect(await client.ended).toBe('end');
    expect(client.bytes().length).toBe(10);
  });

  it('corrupt() replaces one byte at a stream offset in the chosen direction', async () => {
    const { client, conn } = await open();
    conn.corrupt(2, 0xff, 'c2s');
    conn.corrupt(9, 0xee, 's2c');
    client.socket.write(payload(5));
    await until(() => client.bytes().length === 5, 'first echo');
    client.socket.write(payload(6));
    await until(() => client.bytes().length === 11, 'second echo');
    const sent = Buffer.concat([payload(5), payload(6)]);
    const atServer = Buffer.from(sent);
    atServer[2] = 0xff;
    const atClient = Buffer.from(atServer);
    atClient[9] = 0xee;
    expect(Buffer.concat(echo.received[0] ?? []).equals(atServer)).toBe(true);
    expect(client.bytes().equals(atClient)).toBe(true);
  });

  it('rejects nonsense fault arguments', async () => {
    const { conn } = await open();
    expect(() => conn.corrupt(-1, 0, 'c2s')).toThrow(RangeError);
    expect(() => conn.corrupt(0, 256, 'c2s')).toThrow(RangeError);
    expect(() => conn.truncateAfter(1.5, 's2c')).toThrow(RangeError);
    expect(() => conn.delay(-5)).toThrow(RangeError);
  });

  it('delay() holds chunks in both directions and keeps their order', async () => {
    const { client, conn } = await open();
    conn.delay(200);
    const start = performance.now();
    client.socket.write(payload(3));
    await sleep(10);
    client.socket.write(payload(4));
    await until(() => client.bytes().length === 7, 'delayed echo');
    expect(performance.now() - start).toBeGreaterThanOrEqual(390);
    expect(client.bytes().equals(Buffer.concat([payload(3), payload(4)]))).toBe(true);
    conn.delay(0);
    const again = performance.now();
    client.socket.write(payload(1));
    await until(() => client.bytes().length === 8, 'undelayed echo');
    expect(performance.now() - again).toBeLessThan(200);
  });

  it('delay(ms, direction) only delays that direction', async () => {
    const { client, conn } = await open();
    conn.delay(400, 's2c');
    client.socket.write(payload(2));
    await until(() => echo.received[0]?.length === 1, 'server got it undelayed', 300);
    expect(client.bytes().length).toBe(0);
    await until(() => client.bytes().length === 2, 'delayed reply');
  });

  it('resets the client when the upstream refuses', async () => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const lonely = await startFaultProxy({ host: '127.0.0.1', port: deadPort });
    try {
      const client = await dial(lonely.port);
      const outcome = await client.ended;
      expect((outcome as NodeJS.ErrnoException).code).toBe('ECONNRESET');
      expect((lonely.connections[0]?.errors[0] as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
    } finally {
      await lonely.close();
    }
  });

  it('close() destroys open connections, stops listening and leaves no sockets', async () => {
    const { client, conn } = await open();
    const second = await open();
    await proxy.close();
    expect(conn.isClosed).toBe(true);
    expect(second.conn.isClosed).toBe(true);
    await client.ended;
    const refused = await new Promise<NodeJS.ErrnoException>((resolve) => {
      net.connect({ host: '127.0.0.1', port: proxy.port }).once('error', resolve);
    });
    expect(refused.code).toBe('ECONNREFUSED');
    expect(proxy.close()).toBe(proxy.close());
  });
});
