import { once } from 'node:events';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProxy, type Direction, type TcpProxy } from '../../../src/transport/proxy.js';

/** An upstream that answers each chunk with its upper-case text and ends when the client ends. */
async function startUpper(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** Writes `text`, ends, and resolves with everything read until the proxy's FIN. */
async function exchange(port: number, text: string): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'connect');
  socket.end(text);
  await once(socket, 'end');
  socket.destroy();
  return Buffer.concat(chunks).toString();
}

describe('TCP proxy base', () => {
  let upper: Awaited<ReturnType<typeof startUpper>>;
  let proxy: TcpProxy | undefined;

  beforeEach(async () => {
    upper = await startUpper();
  });

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    for (const s of upper.sockets) s.destroy();
    await new Promise<void>((resolve) => upper.server.close(() => resolve()));
  });

  it('passes bytes and the end of stream unchanged when given no hooks', async () => {
    proxy = await startProxy({ upstream: { host: '127.0.0.1', port: upper.port } });
    expect(await exchange(proxy.port, 'hello')).toBe('HELLO');
  });

  it('hands each chunk to its direction hook, which decides what is forwarded', async () => {
    const seen: Array<[Direction, string]> = [];
    let ends = 0;
    let closes = 0;
    proxy = await startProxy({
      upstream: { host: '127.0.0.1', port: upper.port },
      onLink: () => ({
        c2s: {
          onData: (chunk, pipe) => { seen.push([pipe.direction, chunk.toString()]); pipe.write(Buffer.from(`${chunk.toString()}!`)); },
          onEnd: (pipe) => { ends += 1; pipe.end(); },
        },
        s2c: { onData: (chunk, pipe) => { seen.push([pipe.direction, chunk.toString()]); pipe.write(chunk); } },
        onClose: () => { closes += 1; },
      }),
    });
    expect(await exchange(proxy.port, 'abc')).toBe('ABC!');
    expect(seen).toEqual([['c2s', 'abc'], ['s2c', 'ABC!']]);
    expect(ends).toBe(1);
    await proxy.close();
    expect(closes).toBe(1);
    expect(proxy.openLinks).toBe(0);
  });

  it('numbers links in order of acceptance and counts bytes per pipe', async () => {
    const links: Array<{ id: number; received: () => number; forwarded: () => number }> = [];
    proxy = await startProxy({
      upstream: { host: '127.0.0.1', port: upper.port },
      onLink: (link) => {
        links.push({ id: link.id, received: () => link.pipes.c2s.received, forwarded: () => link.pipes.s2c.forwarded });
        return { c2s: { onData: () => {} } }; // swallow the client's bytes
      },
    });
    await exchange(proxy.port, 'x');
    expect(await exchange(proxy.port, 'yz')).toBe('');
    expect(links.map((l) => l.id)).toEqual([1, 2]);
    expect(links[1]?.received()).toBe(2);
    expect(links[1]?.forwarded()).toBe(0);
  });

  it('reports an upstream that refuses as an error and resets the client', async () => {
    const gone = await startUpper();
    await new Promise<void>((resolve) => gone.server.close(() => resolve()));
    const errors: Array<[string, string | undefined]> = [];
    proxy = await startProxy({
      upstream: { host: '127.0.0.1', port: gone.port },
      onLink: () => ({ onError: (err, side) => errors.push([side, (err as NodeJS.ErrnoException).code]) }),
    });
    const client = net.connect({ host: '127.0.0.1', port: proxy.port });
    const [err] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNRESET');
    expect(errors).toEqual([['upstream', 'ECONNREFUSED']]);
  });

  it('rejects when the port is taken, and close() is one promise however often called', async () => {
    proxy = await startProxy({ upstream: { host: '127.0.0.1', port: upper.port } });
    await expect(startProxy({ port: proxy.port, upstream: { host: '127.0.0.1', port: upper.port } }))
      .rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(proxy.close()).toBe(proxy.close());
  });
});
