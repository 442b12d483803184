import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  CONNECTION_DEFAULTS,
  resolveConnectionOptions,
  type ConnectionOptions,
  type ResolvedConnectionOptions,
} from '../../../src/client/options/index.js';
import { AMQPError } from '../../../src/frames/errors.js';

function thrown(fn: () => unknown): ArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err).toBeInstanceOf(AMQPError);
    return err as ArgumentError;
  }
  throw new Error('expected an ArgumentError');
}

const DEFAULTS: ResolvedConnectionOptions = {
  host: 'localhost',
  port: 5672,
  vhost: '/',
  username: 'guest',
  password: 'guest',
  authMechanisms: ['PLAIN', 'AMQPLAIN'],
  channelMax: 2047,
  frameMax: 131072,
  heartbeat: undefined,
  tls: false,
  connectionAttempts: 1,
  retryDelay: 2000,
  socketTimeout: 10000,
  connectionTimeout: 10000,
  locale: 'en_US',
  blockedConnectionTimeout: undefined,
  clientProperties: {},
  name: undefined,
  tcp: { noDelay: true, keepAlive: true, keepAliveInitialDelay: 0 },
  closeTimeout: 5000,
  rpcTimeout: 30000,
  writeHighWaterMark: 256 * 1024,
  maxMessageSize: 128 * 1024 * 1024,
  maxConfirmsInFlight: 2048,
};

describe('resolveConnectionOptions: defaults', () => {
  it.each<[string, () => ResolvedConnectionOptions]>([
    ['no argument', () => resolveConnectionOptions()],
    ['an empty object', () => resolveConnectionOptions({})],
    ['amqp://', () => resolveConnectionOptions('amqp://')],
    ['amqp://localhost', () => resolveConnectionOptions('amqp://localhost')],
    ['amqp://localhost/', () => resolveConnectionOptions('amqp://localhost/')],
    ['amqp://guest:guest@localhost:5672/%2F', () => resolveConnectionOptions('amqp://guest:guest@localhost:5672/%2F')],
  ])('%s gives the protocol defaults', (_label, resolve) => {
    expect(resolve()).toStrictEqual(DEFAULTS);
  });

  it('matches the exported CONNECTION_DEFAULTS', () => {
    const r = resolveConnectionOptions();
    for (const key of Object.keys(CONNECTION_DEFAULTS) as Array<keyof typeof CONNECTION_DEFAULTS>) {
      expect(r[key]).toEqual(CONNECTION_DEFAULTS[key]);
    }
  });

  it('hands out fresh arrays and objects each time', () => {
    const a = resolveConnectionOptions();
    (a.authMechanisms as string[]).push('EXTERNAL');
    (a.clientProperties as Record<string, unknown>)['x'] = 1;
    expect(resolveConnectionOptions()).toStrictEqual(DEFAULTS);
  });
});

describe('resolveConnectionOptions: URL fields', () => {
  it('takes every URL field', () => {
    const r = resolveConnectionOptions(
      'amqp://us%C3%A9r:p%40ss@[::1]:5673/v%2Fh?heartbeat=10&frame_max=8192&channel_max=10&locale=de_DE' +
        '&auth_mechanism=amqplain&connection_attempts=3&retry_delay=100&socket_timeout=1&connection_timeout=2' +
        '&blocked_connection_timeout=3&close_timeout=4&rpc_timeout=5&name=billing',
    );
    expect(r).toStrictEqual({
      ...DEFAULTS,
      host: '::1',
      port: 5673,
      vhost: 'v/h',
      username: 'usér',
      password: 'p@ss',
      heartbeat: 10,
      frameMax: 8192,
      channelMax: 10,
      locale: 'de_DE',
      authMechanisms: ['AMQPLAIN'],
      connectionAttempts: 3,
      retryDelay: 100,
      socketTimeout: 1,
      connectionTimeout: 2,
      blockedConnectionTimeout: 3,
      closeTimeout: 4,
      rpcTimeout: 5,
      name: 'billing',
      clientProperties: { connection_name: 'billing' },
    });
  });

  it.each<[string, number, ResolvedConnectionOptions['tls']]>([
    ['amqp://h', 5672, false],
    ['amqps://h', 5671, { servername: 'h' }],
    ['amqps://h:5999', 5999, { servername: 'h' }],
    ['amqps://10.1.2.3', 5671, {}],
    ['amqps://[::1]', 5671, {}],
    ['amqps://h?verify=verify_none', 5671, { servername: 'h', rejectUnauthorized: false }],
    ['amqps://h?server_name_indication=other', 5671, { servername: 'other' }],
    ['amqps://h?server_name_indication=disable', 5671, { servername: '' }],
  ])('%s: port %d, tls %o', (url, port, tls) => {
    const r = resolveConnectionOptions(url);
    expect(r.port).toBe(port);
    expect(r.tls).toStrictEqual(tls);
  });

  it('verifies the server certificate by default over TLS', () => {
    const tls = resolveConnectionOptions('amqps://h').tls;
    expect(tls).not.toBe(false);
    expect(tls !== false && tls.rejectUnauthorized).not.toBe(false);
  });
});

describe('resolveConnectionOptions: precedence', () => {
  const url = 'amqp://uu:pp@urlhost:1111/urlvh?heartbeat=5&name=fromurl';
  it.each<[string, () => ResolvedConnectionOptions, Partial<ResolvedConnectionOptions>]>([
    ['URL over defaults', () => resolveConnectionOptions(url), { host: 'urlhost', port: 1111, heartbeat: 5 }],
    [
      'second argument over URL string',
      () => resolveConnectionOptions(url, { heartbeat: 6, host: 'x' }),
      { heartbeat: 6, host: 'x', port: 1111 },
    ],
    [
      'second argument over url field',
      () => resolveConnectionOptions({ url }, { heartbeat: 6 }),
      { heartbeat: 6, port: 1111 },
    ],
    [
      'explicit fields over second argument',
      () => resolveConnectionOptions({ url, heartbeat: 7 }, { heartbeat: 6 }),
      { heartbeat: 7 },
    ],
    [
      'url in the second argument',
      () => resolveConnectionOptions({ heartbeat: 7 }, { url }),
      { heartbeat: 7, host: 'urlhost' },
    ],
    ['heartbeat 0 overrides the URL', () => resolveConnectionOptions(url, { heartbeat: 0 }), { heartbeat: 0 }],
    [
      'credentials over URL user info',
      () => resolveConnectionOptions(url, { credentials: { username: 'a', password: 'b' } }),
      { username: 'a', password: 'b' },
    ],
    [
      'username alone keeps the URL password',
      () => resolveConnectionOptions(url, { username: 'a' }),
      { username: 'a', password: 'pp' },
    ],
    [
      'flat fields over credentials in one object',
      () => resolveConnectionOptions({ username: 'x', credentials: { username: 'a', password: 'b' } }),
      { username: 'x', password: 'b' },
    ],
    ['vhost option over URL vhost', () => resolveConnectionOptions(url, { vhost: '' }), { vhost: '' }],
    [
      'name over URL name',
      () => resolveConnectionOptions(url, { name: 'opt' }),
      { name: 'opt', clientProperties: { connection_name: 'opt' } },
    ],
    [
      'name over clientProperties.connection_name',
      () => resolveConnectionOptions({ name: 'n', clientProperties: { connection_name: 'c', app: 1 } }),
      { clientProperties: { connection_name: 'n', app: 1 } },
    ],
    [
      'clientProperties merge key by key',
      () => resolveConnectionOptions({ clientProperties: { a: 1 } }, { clientProperties: { a: 2, b: 2 } }),
      { clientProperties: { a: 1, b: 2 } },
    ],
    [
      'tcp merges over its defaults',
      () => resolveConnectionOptions({ tcp: { noDelay: false } }, { tcp: { keepAliveInitialDelay: 500, noDelay: true } }),
      { tcp: { noDelay: false, keepAlive: true, keepAliveInitialDelay: 500 } },
    ],
    [
      'auth mechanism string',
      () => resolveConnectionOptions(url, { authMechanism: 'EXTERNAL' }),
      { authMechanisms: ['EXTERNAL'] },
    ],
    [
      'auth mechanism list, case-insensitive, deduplicated',
      () => resolveConnectionOptions({ authMechanism: ['amqplain' as 'AMQPLAIN', 'PLAIN', 'AMQPLAIN'] }),
      { authMechanisms: ['AMQPLAIN', 'PLAIN'] },
    ],
    ['bracketed IPv6 host option', () => resolveConnectionOptions({ host: '[::1]' }), { host: '::1' }],
    [
      'undefined fields are absent',
      () => resolveConnectionOptions(url, { host: undefined } as unknown as ConnectionOptions),
      { host: 'urlhost' },
    ],
  ])('%s', (_label, resolve, expected) => {
    expect(resolve()).toMatchObject(expected);
  });

  it.each<[string, () => ResolvedConnectionOptions, number, ResolvedConnectionOptions['tls']]>([
    ['tls: false over amqps', () => resolveConnectionOptions('amqps://h', { tls: false }), 5672, false],
    ['tls: true over amqp', () => resolveConnectionOptions('amqp://h', { tls: true }), 5671, { servername: 'h' }],
    [
      'tls: true keeps the URL TLS settings',
      () => resolveConnectionOptions('amqps://h?verify=verify_none', { tls: true }),
      5671,
      { rejectUnauthorized: false, servername: 'h' },
    ],
    [
      'tls objects merge',
      () => resolveConnectionOptions('amqps://h?verify=verify_none', { tls: { minVersion: 'TLSv1.3' } }),
      5671,
      { rejectUnauthorized: false, minVersion: 'TLSv1.3', servername: 'h' },
    ],
    [
      'explicit rejectUnauthorized wins',
      () => resolveConnectionOptions({ url: 'amqps://h?verify=verify_none', tls: { rejectUnauthorized: true } }),
      5671,
      { rejectUnauthorized: true, servername: 'h' },
    ],
    [
      'explicit servername wins',
      () => resolveConnectionOptions({ host: 'h', tls: { servername: 'sni' } }),
      5671,
      { servername: 'sni' },
    ],
    [
      'explicit port wins over TLS default',
      () => resolveConnectionOptions({ tls: true, port: 1234 }),
      1234,
      { servername: 'localhost' },
    ],
  ])('%s', (_label, resolve, port, tls) => {
    const r = resolve();
    expect(r.port).toBe(port);
    expect(r.tls).toStrictEqual(tls);
  });

  it('does not modify the caller objects', () => {
    const tls = { minVersion: 'TLSv1.2' as const };
    const clientProperties = { a: 1 };
    const options: ConnectionOptions = { tls, clientProperties, name: 'n', tcp: { noDelay: false } };
    const before = structuredClone(options);
    resolveConnectionOptions(options);
    expect(options).toStrictEqual(before);
  });

  it('refuses two URLs', () => {
    expect(thrown(() => resolveConnectionOptions('amqp://a', { url: 'amqp://b' })).option).toBe('url');
    expect(thrown(() => resolveConnectionOptions({ url: 'amqp://a' }, { url: 'amqp://b' })).option).toBe('url');
  });
});

describe('resolveConnectionOptions: validation', () => {
  const bad: Array<[string, unknown, string, RegExp]> = [
    ['unknown key', { hearbeat: 5 }, 'hearbeat', /unknown connection option 'hearbeat'/],
    ['host type', { host: 5 }, 'host', /host must be a string, got 5/],
    ['empty host', { host: '' }, 'host', /host name or IP address/],
    ['host with space', { host: 'a b' }, 'host', /host name or IP address/],
    ['port 0', { port: 0 }, 'port', /from 1 to 65535, got 0/],
    ['port 65536', { port: 65536 }, 'port', /from 1 to 65535/],
    ['port string', { port: '5672' }, 'port', /got "5672"/],
    ['port NaN', { port: Number.NaN }, 'port', /got NaN/],
    ['vhost type', { vhost: null }, 'vhost', /vhost must be a string, got null/],
    ['vhost too long', { vhost: 'é'.repeat(128) }, 'vhost', /256 UTF-8 bytes/],
    ['username type', { username: 1 }, 'username', /username must be a string/],
    ['credentials type', { credentials: 'guest' }, 'credentials', /credentials must be an object/],
    ['credentials missing username', { credentials: { password: 'x' } }, 'credentials.username', /must be a string/],
    [
      'credentials unknown key',
      { credentials: { username: 'u', password: 'p', pass: 'p' } },
      'credentials.pass',
      /unknown option/,
    ],
    ['authMechanism unknown', { authMechanism: 'GSSAPI' }, 'authMechanism', /got "GSSAPI"/],
    ['authMechanism empty list', { authMechanism: [] }, 'authMechanism', /at least one/],
    ['channelMax 65536', { channelMax: 65536 }, 'channelMax', /from 0 to 65535/],
    ['channelMax negative', { channelMax: -1 }, 'channelMax', /from 0 to 65535/],
    ['frameMax 4096', { frameMax: 4096 }, 'frameMax', /below 8192/],
    ['frameMax 1', { frameMax: 1 }, 'frameMax', /below 8192/],
    ['frameMax 2^32', { frameMax: 2 ** 32 }, 'frameMax', /from 0 to 4294967295/],
    ['heartbeat 65536', { heartbeat: 65536 }, 'heartbeat', /from 0 to 65535/],
    ['heartbeat fraction', { heartbeat: 2.5 }, 'heartbeat', /integer/],
    ['tls type', { tls: 'yes' }, 'tls', /boolean or node:tls/],
    ['tls null', { tls: null }, 'tls', /boolean or node:tls/],
    ['connectionAttempts 0', { connectionAttempts: 0 }, 'connectionAttempts', /from 1 to/],
    ['connectionAttempts Infinity', { connectionAttempts: Infinity }, 'connectionAttempts', /got Infinity/],
    ['retryDelay negative', { retryDelay: -1 }, 'retryDelay', /from 0 to 2147483647/],
    ['socketTimeout too big', { socketTimeout: 2 ** 31 }, 'socketTimeout', /from 0 to 2147483647/],
    ['connectionTimeout type', { connectionTimeout: '10s' }, 'connectionTimeout', /got "10s"/],
    ['locale empty', { locale: '' }, 'locale', /must not be empty/],
    ['blockedConnectionTimeout fraction', { blockedConnectionTimeout: 0.5 }, 'blockedConnectionTimeout', /integer/],
    ['clientProperties array', { clientProperties: [] }, 'clientProperties', /plain object/],
    ['clientProperties class instance', { clientProperties: new Map() }, 'clientProperties', /plain object/],
    ['name type', { name: 1 }, 'name', /name must be a string/],
    ['tcp type', { tcp: true }, 'tcp', /tcp must be an object/],
    ['tcp unknown key', { tcp: { nodelay: true } }, 'tcp.nodelay', /unknown option 'tcp.nodelay'/],
    ['tcp.noDelay type', { tcp: { noDelay: 1 } }, 'tcp.noDelay', /must be a boolean/],
    [
      'tcp.keepAliveInitialDelay negative',
      { tcp: { keepAliveInitialDelay: -5 } },
      'tcp.keepAliveInitialDelay',
      /from 0/,
    ],
    ['closeTimeout negative', { closeTimeout: -1 }, 'closeTimeout', /from 0/],
    ['rpcTimeout type', { rpcTimeout: true }, 'rpcTimeout', /got true/],
    ['url type', { url: 5 }, 'url', /url must be a string/],
    [
      'url malformed',
      { url: 'amqp://h?frame_max=100' },
      'frame_max',
      /invalid AMQP URL 'amqp:\/\/h\?frame_max=100': frame_max 100 is below 8192/,
    ],
  ];
  it.each(bad)('%s', (_label, options, option, message) => {
    const err = thrown(() => resolveConnectionOptions(options as ConnectionOptions));
    expect(err.option).toBe(option);
    expect(err.message).toMatch(message);
  });

  it('validates the second argument the same way', () => {
    expect(thrown(() => resolveConnectionOptions('amqp://h', { frameMax: 100 })).option).toBe('frameMax');
    expect(thrown(() => resolveConnectionOptions('amqp://h', 'amqp://x' as unknown as ConnectionOptions)).option).toBe('extra options');
  });

  it.each([null, 5, true, ['amqp://h']])('refuses %o as the first argument', (arg) => {
    expect(thrown(() => resolveConnectionOptions(arg as unknown as ConnectionOptions)).option).toBe('options');
  });

  it.each<[string, number]>([
    ['frameMax', 0],
    ['frameMax', 8192],
    ['frameMax', 2 ** 32 - 1],
    ['channelMax', 0],
    ['channelMax', 65535],
    ['heartbeat', 0],
    ['heartbeat', 65535],
    ['port', 1],
    ['port', 65535],
    ['rpcTimeout', 0],
    ['rpcTimeout', 2 ** 31 - 1],
  ])('accepts the edge value %s = %d', (key, value) => {
    expect(resolveConnectionOptions({ [key]: value })[key as 'frameMax']).toBe(value);
  });

  it('keeps every password out of error messages', () => {
    const secret = 'S3cr3tPw';
    const cases: Array<() => unknown> = [
      () => resolveConnectionOptions(`amqp://u:${secret}@h?frame_max=1`),
      () => resolveConnectionOptions({ url: `amqp://u:${secret}@h:0` }),
      () => resolveConnectionOptions({ password: secret, port: -1 }),
      () => resolveConnectionOptions({ credentials: { username: 'u', password: secret }, bogus: 1 } as ConnectionOptions),
      () => resolveConnectionOptions({ credentials: { username: 5, password: secret } } as unknown as ConnectionOptions),
      () => resolveConnectionOptions({ password: { secret } } as unknown as ConnectionOptions),
      () => resolveConnectionOptions(`amqps://u:${secret}@h?cacertfile=/nonexistent/${'x'}.pem`),
    ];
    for (const run of cases) {
      const err = thrown(run);
      expect(err.message).not.toContain(secret);
      expect(err.stack ?? '').not.toContain(secret);
    }
  });
});

describe('resolveConnectionOptions: TLS files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amqp-wire-options-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads cacertfile, certfile and keyfile when resolving', () => {
    const ca = file('ca.pem', 'CA PEM');
    const cert = file('client cert.pem', 'CERT PEM');
    const key = file('key.pem', 'KEY PEM');
    const q = `cacertfile=${encodeURIComponent(ca)}&certfile=${encodeURIComponent(cert)}&keyfile=${encodeURIComponent(key)}`;
    const r = resolveConnectionOptions(`amqps://h?${q}&verify=verify_peer`, { authMechanism: 'EXTERNAL' });
    expect(r.tls).not.toBe(false);
    const tls = r.tls as Exclude<typeof r.tls, false>;
    expect(String(tls.ca)).toBe('CA PEM');
    expect(String(tls.cert)).toBe('CERT PEM');
    expect(String(tls.key)).toBe('KEY PEM');
    expect(tls.rejectUnauthorized).toBe(true);
    expect(tls.servername).toBe('h');
    expect(r.authMechanisms).toEqual(['EXTERNAL']);
  });

  it('lets an explicit tls.ca replace the URL file', () => {
    const ca = file('ca2.pem', 'URL CA');
    const r = resolveConnectionOptions(`amqps://h?cacertfile=${encodeURIComponent(ca)}`, { tls: { ca: 'OPTION CA' } });
    expect(r.tls !== false && r.tls.ca).toBe('OPTION CA');
  });

  it('names the parameter and path of an unreadable file', () => {
    const missing = join(dir, 'missing.pem');
    const err = thrown(() => resolveConnectionOptions(`amqps://u:pw@h?keyfile=${encodeURIComponent(missing)}`));
    expect(err.option).toBe('keyfile');
    expect(err.message).toContain(`cannot read keyfile '${missing}'`);
    expect(err.message).toContain('ENOENT');
    expect(err.message).toContain('amqps://u:***@h');
    expect(err.cause).toBeInstanceOf(Error);
  });
});

describe('resolved options hide the password', () => {
  it('from util.inspect and JSON.stringify, but keep it readable', () => {
    const r = resolveConnectionOptions('amqp://u:TopSecret1@h', { tls: { passphrase: 'KeyPass9' } });
    expect(r.password).toBe('TopSecret1');
    expect(r.tls !== false && r.tls.passphrase).toBe('KeyPass9');
    const views = [inspect(r), inspect({ nested: r }, { depth: 5 }), JSON.stringify(r), JSON.stringify({ r })];
    for (const shown of views) {
      expect(shown).not.toContain('TopSecret1');
      expect(shown).not.toContain('KeyPass9');
      expect(shown).toContain('***');
    }
    expect(JSON.parse(JSON.stringify(r))).toMatchObject({ username: 'u', password: '***', host: 'h' });
  });

  it('without adding enumerable keys', () => {
    expect(Object.keys(resolveConnectionOptions()).sort()).toEqual(Object.keys(DEFAULTS).sort());
  });
});
