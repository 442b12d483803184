/**
 * amqps against the project broker's TLS listener: server verification against the test CA (on
 * by default), host name checks, EXTERNAL authentication with the client certificate, and amqps
 * URLs that name the PEM files. Every check of who logged in how is read back with rabbitmqctl.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, ConnectError, connect, type Connection } from '../../src/index.js';
import { tlsInfo } from '../support/broker.js';
import { trackConnections } from '../support/connections.js';
import { expectConnectFailure } from '../support/expect-errors.js';
import { uniqueName } from '../support/names.js';
import { rabbitmqctl } from '../support/rabbitmqctl.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.open;

function tlsPort(): number {
  const url = new URL(tlsInfo().url);
  return url.port === '' ? 5671 : Number(url.port);
}

interface ConnRow { user: string; auth_mechanism: string; ssl: boolean; ssl_protocol: string; client_properties: [string, string, unknown][] }

/** The broker's view of the connection named `name`. */
async function brokerView(name: string): Promise<ConnRow | undefined> {
  const out = await rabbitmqctl(['list_connections', 'user', 'auth_mechanism', 'ssl', 'ssl_protocol', 'client_properties', '--formatter', 'json']);
  return (JSON.parse(out) as ConnRow[]).find((r) => r.client_properties.some(([k, , v]) => k === 'connection_name' && v === name));
}

/** A round trip on a fresh channel: declare, publish `body`, get it back. */
async function echo(conn: Connection, body: Buffer): Promise<Buffer> {
  const ch = await conn.channel();
  const { queue } = await ch.queueDeclare('', { exclusive: true });
  ch.basicPublish('', queue, body);
  const msg = await ch.basicGet(queue, { noAck: true });
  await ch.close();
  return msg!.body;
}

describe('amqps with server verification', () => {
  it('connects to 127.0.0.1 with the test CA and servername localhost, over TLS, as guest with PLAIN', async () => {
    const info = tlsInfo();
    const name = uniqueName('conn', 'tls-plain');
    const conn = await open({
      host: '127.0.0.1', port: tlsPort(), name, tls: { ca: readFileSync(info.caFile), servername: 'localhost' },
    });
    expect(conn.options.port).toBe(tlsPort());
    const body = randomBytes(1024 * 1024);
    expect((await echo(conn, body)).equals(body)).toBe(true);
    expect(await brokerView(name)).toMatchObject({ user: 'guest', auth_mechanism: 'PLAIN', ssl: true });
  });

  it('tlsInfo().url with tls.ca connects (servername defaults to the URL host)', async () => {
    const info = tlsInfo();
    const conn = await open(info.url, { tls: { ca: readFileSync(info.caFile) } });
    expect(conn.options.tls).toMatchObject({ servername: new URL(info.url).hostname });
    const body = Buffer.from('over tls');
    expect((await echo(conn, body)).equals(body)).toBe(true);
  });

  it('without the CA the certificate check fails: ConnectError, no retry into plain text', async () => {
    const err = await expectConnectFailure(connect({ host: '127.0.0.1', port: tlsPort(), tls: { servername: 'localhost' } }));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toMatch(/CERT|SIGN|ISSUER/);
    expect(err.message).toContain(`127.0.0.1:${tlsPort()}`);
  });

  it('a servername the certificate does not name is refused', async () => {
    const info = tlsInfo();
    const err = await expectConnectFailure(connect({ host: '127.0.0.1', port: tlsPort(), tls: { ca: readFileSync(info.caFile), servername: 'not-localhost.example' } }));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('rejectUnauthorized: false is an explicit way out of verification', async () => {
    const conn = await open({ host: '127.0.0.1', port: tlsPort(), tls: { rejectUnauthorized: false } });
    expect(conn.tuned.frameMax).toBeGreaterThan(0);
  });

  it('plain AMQP to the TLS port does not hang: it fails within the connection timeout', async () => {
    const started = Date.now();
    const err = await expectConnectFailure(connect({ host: '127.0.0.1', port: tlsPort(), connectionTimeout: 3000 }));
    expect(Date.now() - started).toBeLessThan(5000);
    // The broker's TLS alert is recognised for what it is.
    expect(err.name).toBe('NotAmqpError');
    expect(err.message).toContain('speaks TLS, not plain AMQP');
  });
});

describe('EXTERNAL authentication with the client certificate', () => {
  it('logs in as the certificate common name', async () => {
    const info = tlsInfo();
    const name = uniqueName('conn', 'external');
    const conn = await open({
      host: '127.0.0.1', port: tlsPort(), name, authMechanism: 'EXTERNAL',
      tls: { ca: readFileSync(info.caFile), cert: readFileSync(info.certFile), key: readFileSync(info.keyFile), servername: 'localhost' },
    });
    expect(info.clientName).toBe('amqpwire-client');
    expect(await brokerView(name)).toMatchObject({ user: info.clientName, auth_mechanism: 'EXTERNAL', ssl: true });
    const body = Buffer.from('as amqpwire-client');
    expect((await echo(conn, body)).equals(body)).toBe(true);
  });

  it('without a client certificate EXTERNAL is refused: AuthenticationError 403', async () => {
    const info = tlsInfo();
    const err = await expectConnectFailure(connect({
      host: '127.0.0.1', port: tlsPort(), authMechanism: 'EXTERNAL', tls: { ca: readFileSync(info.caFile), servername: 'localhost' },
    }));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ replyCode: 403, by: 'server' });
    expect(err.message).toMatch(/ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL/);
  });

  it('EXTERNAL is never chosen unless asked for, even with a client certificate', async () => {
    const info = tlsInfo();
    const name = uniqueName('conn', 'cert-but-plain');
    await open({
      host: '127.0.0.1', port: tlsPort(), name,
      tls: { ca: readFileSync(info.caFile), cert: readFileSync(info.certFile), key: readFileSync(info.keyFile), servername: 'localhost' },
    });
    expect(await brokerView(name)).toMatchObject({ user: 'guest', auth_mechanism: 'PLAIN' });
  });
});

describe('amqps URLs', () => {
  it('cacertfile, certfile, keyfile and auth_mechanism=external in the query', async () => {
    const info = tlsInfo();
    const name = uniqueName('conn', 'url-external');
    const url = `amqps://localhost:${tlsPort()}/?cacertfile=${info.caFile}&certfile=${info.certFile}&keyfile=${info.keyFile}` +
      `&auth_mechanism=external&connection_name=${encodeURIComponent(name)}`;
    const conn = await open(url);
    expect(conn.options.authMechanisms).toEqual(['EXTERNAL']);
    expect(await brokerView(name)).toMatchObject({ user: info.clientName, auth_mechanism: 'EXTERNAL', ssl: true });
  });

  it('percent-encoded file paths and the default amqps port', async () => {
    const info = tlsInfo();
    const url = `amqps://guest:guest@localhost/?cacertfile=${encodeURIComponent(info.caFile)}`;
    // a URL without a port can only reach a listener on amqps' default port; the project node has one
    expect(tlsPort(), `this test needs the TLS listener on 5671, the broker in use has it on ${tlsPort()}`).toBe(5671);
    const conn = await open(url);
    expect(conn.options.port).toBe(5671);
    expect(conn.options.tls).not.toBe(false);
  });

  it('verify=verify_none connects without a CA; verify_peer without one fails', async () => {
    const base = `amqps://guest:guest@127.0.0.1:${tlsPort()}/`;
    const conn = await open(`${base}?verify=verify_none`);
    expect(conn.tuned.channelMax).toBeGreaterThan(0);
    const err = await expectConnectFailure(connect(`${base}?verify=verify_peer&server_name_indication=localhost`));
    expect(err).toBeInstanceOf(ConnectError);
  });

  it('a cacertfile that does not exist is an ArgumentError before any socket opens', async () => {
    const err = await expectConnectFailure(connect(`amqps://guest:guest@localhost:${tlsPort()}/?cacertfile=/nonexistent/ca.pem`));
    expect(err.name).toBe('ArgumentError');
    expect(err.message).toContain('/nonexistent/ca.pem');
    expect(err.message).not.toContain('guest:guest');
  });
});
