/**
 * A connection that cannot be made says why in the error's own words: an untrusted certificate,
 * a name that does not resolve, plain AMQP to a TLS port or to an HTTP server, amqps to a plain
 * port. And the CLI's line blames a missing broker only when nothing answered.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, CannotConnectError } from '../../src/cli/broker.js';
import { ConnectError, NotAmqpError, connect } from '../../src/index.js';
import { brokerUrl, tlsInfo } from '../support/broker.js';

/** The rejection of connect(url), which must fail. */
async function failure(url: string): Promise<Error> {
  const conn = await connect(url, { connectionTimeout: 5000 }).catch((e: Error) => e);
  if (!(conn instanceof Error)) {
    await conn.close();
    throw new Error(`connect(${url}) succeeded`);
  }
  return conn;
}

const cliLine = (url: string, e: Error): string => describeFailure(new CannotConnectError(url, e)).line;

let http: Server;
let httpPort: number;
beforeAll(async () => {
  http = createServer((_req, res) => res.end('not AMQP'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpPort = (http.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

describe('connect() names the real cause', () => {
  it('a TLS certificate the client does not trust (no CA given)', async () => {
    const url = tlsInfo().url;
    const e = await failure(url);
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as ConnectError).kind).toBe('tls-certificate');
    expect(e.message).toMatch(/TLS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_/);
    expect(e.message).toContain('tls.ca');
    const line = cliLine(url, e);
    expect(line).toContain('not trusted');
    expect(line).not.toContain('rabbitmq-server');
  });

  it('a host name that does not resolve', async () => {
    const url = 'amqp://guest:guest@no-such-host.invalid:5672/';
    const e = await failure(url);
    expect(e).toMatchObject({ name: 'ConnectError', kind: 'dns' });
    expect(e.message).toBe("cannot connect to no-such-host.invalid:5672: the host name 'no-such-host.invalid' does not resolve (ENOTFOUND); check the host in the URL");
    expect(cliLine(url, e)).not.toContain('rabbitmq-server');
  });

  it('plain AMQP sent to the TLS port', async () => {
    const port = new URL(tlsInfo().url).port || '5671';
    const e = await failure(`amqp://guest:guest@127.0.0.1:${port}/`);
    expect(e).toBeInstanceOf(NotAmqpError);
    expect(e).toMatchObject({ protocol: 'tls', address: `127.0.0.1:${port}` });
    expect(e.message).toContain('speaks TLS, not plain AMQP: connect with amqps://');
    expect(e.message).not.toContain('frame type');
  });

  it('plain AMQP sent to an HTTP server', async () => {
    const url = `amqp://guest:guest@127.0.0.1:${httpPort}/`;
    const e = await failure(url);
    expect(e).toBeInstanceOf(NotAmqpError);
    expect(e).toMatchObject({ protocol: 'http' });
    expect(e.message).toContain(`an HTTP server answered at 127.0.0.1:${httpPort}, not an AMQP broker`);
    expect(cliLine(url, e)).toContain('an HTTP server answered');
  });

  it('amqps sent to the plain port', async () => {
    const plain = new URL(brokerUrl());
    const e = await failure(`amqps://guest:guest@${plain.hostname}:${plain.port || '5672'}/`);
    expect(e).toMatchObject({ name: 'ConnectError', kind: 'tls', code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    expect(e.message).toContain('the server did not answer in TLS');
    expect(e.message).not.toContain('\n');
  });
});
