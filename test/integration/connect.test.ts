/**
 * connect() against a real RabbitMQ: typed failures (bad password, unknown vhost, nothing
 * listening), retries, URL forms, tuning, the connection name the broker shows, secrecy of the
 * password, close() semantics and channel id reuse. A test user and vhost are made with
 * rabbitmqctl and removed afterwards.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError, ChannelClosedError, ConnectError, ConnectionClosedError, UsageError, connect,
} from '../../src/index.js';
import { brokerUrl } from '../support/broker.js';
import { trackConnections } from '../support/connections.js';
import { expectConnectFailure } from '../support/expect-errors.js';
import { uniqueName } from '../support/names.js';
import { listConnections, rabbitmqctl } from '../support/rabbitmqctl.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.open;

const broker = (): URL => new URL(brokerUrl());
const hostPort = (): string => `${broker().hostname}:${broker().port || '5672'}`;

/** Every way an error can show itself to a user or a log. */
function renderings(err: unknown): string {
  const e = err as Error;
  return [String(e), e.message, e.stack ?? '', inspect(e, { depth: 10 }), JSON.stringify(e)].join('\n');
}

/** A TCP port where nothing listens (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A connect() to 127.0.0.1:`port` with three attempts 100 ms apart that must fail, and how long it took. */
async function threeAttempts(port: number): Promise<{ err: Error; elapsed: number }> {
  const started = Date.now();
  const err = await expectConnectFailure(connect({ host: '127.0.0.1', port, connectionAttempts: 3, retryDelay: 100 }));
  return { err, elapsed: Date.now() - started };
}

/** Names of the queues in `vhost`, as the broker lists them. */
async function queuesIn(vhost: string): Promise<string[]> {
  return (await rabbitmqctl(['list_queues', '-p', vhost, 'name'])).split('\n');
}

// A user whose password needs every kind of escaping in a URL, and a vhost with a slash in its name.
const USER = uniqueName('user');
const PASSWORD = 'p@ss:w/rd%?#\u00e9-s3cr3t';
const VHOST = `${uniqueName('vhost')}/with-slash`;
const encodedUserUrl = (vhost: string): string =>
  `amqp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@${hostPort()}/${encodeURIComponent(vhost)}`;

beforeAll(async () => {
  await rabbitmqctl(['add_vhost', VHOST]);
  await rabbitmqctl(['add_user', USER, PASSWORD]);
  await rabbitmqctl(['set_permissions', '-p', VHOST, USER, '.*', '.*', '.*']);
  await rabbitmqctl(['set_permissions', '-p', '/', USER, '.*', '.*', '.*']);
});
afterAll(async () => {
  await rabbitmqctl(['delete_user', USER]).catch(() => undefined);
  await rabbitmqctl(['delete_vhost', VHOST]).catch(() => undefined);
});

describe('connect() failures', () => {
  it('a wrong password is an AuthenticationError (403), reported at once and never retried', async () => {
    const started = Date.now();
    const err = await expectConnectFailure(connect(`amqp://guest:not-the-password@${hostPort()}/`, { connectionAttempts: 3, retryDelay: 2000 }));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ replyCode: 403, by: 'server' });
    expect(err.message).toMatch(/ACCESS_REFUSED/);
    expect(err.message).toContain("'guest'");
    expect(elapsed).toBeLessThan(1900); // no retry after 2 s
    expect(renderings(err)).not.toContain('not-the-password');
  });

  it('a wrong password of a user with an escaped password never shows that password', async () => {
    const wrong = `${PASSWORD}-wrong`;
    const url = `amqp://${encodeURIComponent(USER)}:${encodeURIComponent(wrong)}@${hostPort()}/`;
    const err = await expectConnectFailure(connect(url));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(renderings(err)).not.toContain(wrong);
    expect(renderings(err)).not.toContain(encodeURIComponent(wrong));
  });

  it('an unknown vhost is a ConnectionClosedError 530 NOT_ALLOWED, not an authentication error', async () => {
    const vhost = uniqueName('no-such-vhost');
    const err = await expectConnectFailure(connect(`amqp://guest:guest@${hostPort()}/${vhost}`));
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).not.toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ replyCode: 530, soft: false, by: 'server', methodName: 'connection.open' });
    expect(err.message).toMatch(/^connection\.open: 530 NOT_ALLOWED - /);
    expect(err.message).toContain(vhost);
  });

  it('a vhost the user may not use is refused with a typed close error', async () => {
    const vhost = uniqueName('no-permissions');
    await rabbitmqctl(['add_vhost', vhost]);
    try {
      const err = await expectConnectFailure(connect(encodedUserUrl(vhost)));
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect((err as ConnectionClosedError).replyCode).toBe(530);
      expect(err.message).toMatch(/NOT_ALLOWED/);
      expect(renderings(err)).not.toContain(PASSWORD);
    } finally {
      await rabbitmqctl(['delete_vhost', vhost]);
    }
  });

  it('nothing listening: ConnectError with code ECONNREFUSED and the address', async () => {
    const port = await freePort();
    const err = await expectConnectFailure(connect(`amqp://guest:secret-pw@127.0.0.1:${port}/`));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe('ECONNREFUSED');
    expect((err as ConnectError).address).toBe(`127.0.0.1:${port}`);
    expect(renderings(err)).not.toContain('secret-pw');
  });

  it('connectionAttempts 3 with retryDelay 100 tries three times, about 200 ms apart in total', async () => {
    // a server that accepts and hangs up at once: every attempt reaches it and fails
    const accepted: number[] = [];
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => {
      accepted.push(Date.now());
      sockets.add(s);
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const { err, elapsed } = await threeAttempts(port);
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect(accepted).toHaveLength(3);
      expect(elapsed).toBeGreaterThanOrEqual(200);
      expect(elapsed).toBeLessThan(1500);
      expect(accepted[2]! - accepted[0]!).toBeGreaterThanOrEqual(190);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('connectionAttempts 3 against a refused port takes the two retry delays', async () => {
    const port = await freePort();
    const { err, elapsed } = await threeAttempts(port);
    expect(err).toBeInstanceOf(ConnectError);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(1500);
  });
});

describe('URL forms and options', () => {
  it.each([
    ['no path', (hp: string) => `amqp://guest:guest@${hp}`],
    ['trailing slash', (hp: string) => `amqp://guest:guest@${hp}/`],
    ['%2f vhost', (hp: string) => `amqp://guest:guest@${hp}/%2f`],
    ['%2F vhost', (hp: string) => `amqp://guest:guest@${hp}/%2F`],
    ['upper-case scheme', (hp: string) => `AMQP://guest:guest@${hp}/%2f`],
  ])('%s reaches the default vhost', async (_label, make) => {
    const conn = await open(make(hostPort()));
    const ch = await conn.channel();
    await expect(ch.exchangeDeclare('amq.direct', 'direct', { passive: true })).resolves.toBeUndefined();
  });

  it('default port and guest credentials apply when the URL leaves them out', async () => {
    const conn = await open(`amqp://${broker().hostname}`);
    expect(conn.options).toMatchObject({ port: 5672, username: 'guest', vhost: '/' });
  });

  it('a percent-encoded vhost with a slash and a UTF-8 password with reserved characters work', async () => {
    const conn = await open(encodedUserUrl(VHOST));
    const ch = await conn.channel();
    const q = uniqueName('q', 'in-vhost');
    await ch.queueDeclare(q, { exclusive: true });
    expect(await queuesIn(VHOST)).toContain(q);
    expect(await queuesIn('/')).not.toContain(q);
    const users = (await rabbitmqctl(['list_connections', 'user', 'vhost', '--formatter', 'json']));
    expect(JSON.parse(users)).toContainEqual({ user: USER, vhost: VHOST });
  });

  it('the same user and vhost given as an options object', async () => {
    const conn = await open({
      host: broker().hostname, port: Number(broker().port || 5672), vhost: VHOST, credentials: { username: USER, password: PASSWORD },
    });
    expect(conn.options.vhost).toBe(VHOST);
    // USER may use '/' too, so only where a queue lands shows which vhost connection.open named
    const ch = await conn.channel();
    const q = uniqueName('q', 'in-vhost-options');
    await ch.queueDeclare(q, { exclusive: true });
    expect(await queuesIn(VHOST)).toContain(q);
    expect(await queuesIn('/')).not.toContain(q);
  });

  it('AMQPLAIN authenticates as well as PLAIN', async () => {
    const conn = await open(encodedUserUrl('/'), { authMechanism: 'AMQPLAIN' });
    const rows = JSON.parse(await rabbitmqctl(['list_connections', 'user', 'auth_mechanism', '--formatter', 'json'])) as unknown[];
    expect(rows).toContainEqual({ user: USER, auth_mechanism: 'AMQPLAIN' });
    expect(conn.options.authMechanisms).toEqual(['AMQPLAIN']);
  });

  it('updateSecret: the broker answers update-secret-ok and the connection goes on working', async () => {
    const conn = await open(encodedUserUrl('/'));
    await conn.updateSecret(PASSWORD, 'rotation');
    const ch = await conn.channel();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    expect(queue).toMatch(/^amq\.gen-/);
  });

  it('heartbeat: absent takes the server value, a number is negotiated down, 0 turns it off', async () => {
    const serverDefault = await open();
    expect(serverDefault.tuned.heartbeat).toBe(60);
    const five = await open(brokerUrl(), { heartbeat: 5 });
    expect(five.tuned.heartbeat).toBe(5);
    const fromUrl = await open(`${brokerUrl().replace(/\/?$/, '/')}?heartbeat=7`);
    expect(fromUrl.tuned.heartbeat).toBe(7);
    const off = await open(brokerUrl(), { heartbeat: 0 });
    expect(off.tuned.heartbeat).toBe(0);
    const timeouts = (JSON.parse(await rabbitmqctl(['list_connections', 'timeout', '--formatter', 'json'])) as { timeout: number }[]).map((r) => r.timeout);
    expect(timeouts).toEqual(expect.arrayContaining([60, 5, 7, 0]));
  });

  it('frame_max and channel_max are negotiated and the broker uses them', async () => {
    const name = uniqueName('conn', 'tune');
    const conn = await open(brokerUrl(), { frameMax: 16384, channelMax: 12, name });
    expect(conn.tuned).toMatchObject({ frameMax: 16384, channelMax: 12 });
    const rows = JSON.parse(await rabbitmqctl(['list_connections', 'frame_max', 'channel_max', 'client_properties', '--formatter', 'json'])) as {
      frame_max: number; channel_max: number; client_properties: [string, string, unknown][];
    }[];
    const row = rows.find((r) => r.client_properties.some(([k, , v]) => k === 'connection_name' && v === name));
    expect(row).toMatchObject({ frame_max: 16384, channel_max: 12 });
  });

  it('`name` shows up as the connection_name client property', async () => {
    const name = uniqueName('conn', 'named \u00e9');
    await open(brokerUrl(), { name });
    const rows = await listConnections();
    expect(rows.map((r) => r.clientName)).toContain(name);
    const props = JSON.parse(await rabbitmqctl(['list_connections', 'client_properties', '--formatter', 'json'])) as {
      client_properties: [string, string, unknown][];
    }[];
    const mine = props.find((r) => r.client_properties.some(([k, , v]) => k === 'connection_name' && v === name));
    const keys = mine!.client_properties.map(([k]) => k);
    expect(keys).toEqual(expect.arrayContaining(['product', 'version', 'platform', 'capabilities', 'connection_name']));
    expect(JSON.stringify(mine)).toContain('amqp-wire');
  });

  it('util.inspect of a connection and of its options never shows the password', async () => {
    const conn = await open(encodedUserUrl(VHOST));
    for (const text of [inspect(conn), inspect(conn, { depth: 10, showHidden: true }), inspect(conn.options), JSON.stringify(conn.options), String(conn)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
  });
});

describe('close', () => {
  it('ten concurrent close() calls all resolve, and close is emitted once without an error', async () => {
    const conn = await open();
    const events: unknown[] = [];
    conn.on('close', (e) => events.push(e));
    const errors: unknown[] = [];
    conn.on('error', (e) => errors.push(e));
    await Promise.all(Array.from({ length: 10 }, () => conn.close()));
    await conn.close(); // and once more after it finished
    expect(events).toEqual([undefined]);
    expect(errors).toEqual([]);
  });

  it('operations after close reject with ConnectionClosedError', async () => {
    const conn = await open();
    const ch = await conn.channel();
    await conn.close();
    await expect(conn.channel()).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(ch.queueDeclare('', { exclusive: true })).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(() => ch.basicPublish('', 'q', 'x')).toThrow(ConnectionClosedError);
    await expect(conn.channel()).rejects.toMatchObject({ replyCode: 200, by: 'client' });
  });

  it('calls pending at close() reject with ConnectionClosedError', async () => {
    const conn = await open();
    const ch = await conn.channel();
    // close() runs in the same tick, before the declare-ok can arrive
    const pending = ch.queueDeclare('', { exclusive: true }).then(() => null, (e: unknown) => e);
    await conn.close();
    const err = await pending;
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).toMatchObject({ replyCode: 200, by: 'client' });
  });

  it('a broker-side close (rabbitmqctl close_connection) is a 320 ConnectionClosedError by the server', async () => {
    const name = uniqueName('conn', 'forced');
    const conn = await open(brokerUrl(), { name });
    const ch = await conn.channel();
    const closed = new Promise<unknown>((resolve) => conn.once('close', resolve));
    conn.on('error', () => undefined);
    const rows = await listConnections();
    const row = rows.find((r) => r.clientName === name);
    await rabbitmqctl(['close_connection', row!.pid, 'test says bye']);
    const err = (await closed) as ConnectionClosedError;
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).toMatchObject({ replyCode: 320, by: 'server', soft: false });
    expect(err.message).toMatch(/^320 CONNECTION_FORCED - .*test says bye/);
    await expect(ch.queueDeclare('')).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});

describe('channel ids', () => {
  it('are reused once the broker confirmed the close; beyond channel_max opening fails locally', async () => {
    const conn = await open(brokerUrl(), { channelMax: 3 });
    expect(conn.tuned.channelMax).toBe(3);
    const chans = [await conn.channel(), await conn.channel(), await conn.channel()];
    expect(chans.map((c) => c.id).sort()).toEqual([1, 2, 3]);
    await expect(conn.channel()).rejects.toBeInstanceOf(UsageError);
    await chans[1]!.close();
    const again = await conn.channel();
    expect(again.id).toBe(2);
    await expect(again.queueDeclare('', { exclusive: true })).resolves.toBeDefined();
    // the connection survived all of it
    await expect(chans[0]!.queueDeclare('', { exclusive: true })).resolves.toBeDefined();
  });

  it('a channel closed by the broker frees its id too', async () => {
    const conn = await open(brokerUrl(), { channelMax: 1 });
    const ch = await conn.channel();
    ch.on('error', () => undefined);
    await expect(ch.queueDeclare(uniqueName('q', 'missing'), { passive: true })).rejects.toBeInstanceOf(ChannelClosedError);
    const next = await conn.channel();
    expect(next.id).toBe(1);
    await expect(next.queueDeclare('', { exclusive: true })).resolves.toBeDefined();
  });
});
