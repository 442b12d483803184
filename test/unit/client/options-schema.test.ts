import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONNECTION_DEFAULTS, parseAmqpUrl, resolveConnectionOptions } from '../../../src/client/options/index.js';
import { OPTIONS, ROWS, URL_OPTION, resolvedName } from '../../../src/client/options/schema.js';
import type { ConnectionOptions } from '../../../src/client/options/types.js';
import { QUERY_KEYS } from '../../../src/client/options/url.js';

const source = (file: string): string =>
  readFileSync(new URL(`../../../src/client/options/${file}`, import.meta.url), 'utf8');

/** A value for every option that differs from its default. A new row needs a line here. */
const SAMPLES: { [K in keyof typeof OPTIONS]-?: NonNullable<ConnectionOptions[K]> } = {
  url: 'amqp://u:p@other:1111/v',
  host: 'broker.example',
  port: 1234,
  vhost: 'v',
  username: 'u',
  password: 'p',
  credentials: { username: 'cu', password: 'cp' },
  authMechanism: 'EXTERNAL',
  channelMax: 5,
  frameMax: 8192,
  heartbeat: 3,
  tls: true,
  connectionAttempts: 2,
  retryDelay: 1,
  socketTimeout: 1,
  connectionTimeout: 1,
  locale: 'de_DE',
  blockedConnectionTimeout: 1,
  clientProperties: { app: 'x' },
  name: 'n',
  tcp: { noDelay: false },
  closeTimeout: 1,
  rpcTimeout: 1,
  writeHighWaterMark: 1,
  maxMessageSize: 1,
  maxConfirmsInFlight: 1,
};

/** A value for every snake_case query key and the fields it gives. A new key needs a line here. */
const QUERY_SAMPLES: Record<string, [string, Record<string, unknown>]> = {
  heartbeat: ['5', { heartbeat: 5 }],
  channel_max: ['10', { channelMax: 10 }],
  frame_max: ['8192', { frameMax: 8192 }],
  connection_attempts: ['2', { connectionAttempts: 2 }],
  retry_delay: ['3', { retryDelay: 3 }],
  socket_timeout: ['4', { socketTimeout: 4 }],
  connection_timeout: ['5', { connectionTimeout: 5 }],
  blocked_connection_timeout: ['6', { blockedConnectionTimeout: 6 }],
  close_timeout: ['7', { closeTimeout: 7 }],
  rpc_timeout: ['8', { rpcTimeout: 8 }],
  auth_mechanism: ['external', { authMechanism: ['EXTERNAL'] }],
  locale: ['de_DE', { locale: 'de_DE' }],
  name: ['billing', { name: 'billing' }],
  connection_name: ['billing', { name: 'billing' }],
  cacertfile: ['/ca.pem', { tls: true, tlsFiles: { ca: '/ca.pem' } }],
  certfile: ['/c.pem', { tls: true, tlsFiles: { cert: '/c.pem' } }],
  keyfile: ['/k.pem', { tls: true, tlsFiles: { key: '/k.pem' } }],
  verify: ['verify_none', { tls: { rejectUnauthorized: false } }],
  server_name_indication: ['sni.example', { tls: { servername: 'sni.example' } }],
};

const resolvedRows = [...ROWS].filter(([, row]) => !('feeds' in row));
const snakeKeys = [...ROWS].flatMap(([, row]) => (row.query ?? []).flatMap((p) => [p.key, ...(p.aliases ?? [])]));
const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

describe('option schema: every row is complete', () => {
  const schema = source('schema.ts');

  it.each([...ROWS.keys()])('%s has TSDoc right before its row', (name) => {
    // The row's TSDoc becomes the field's documentation in ConnectionOptions.
    expect(schema).toMatch(new RegExp(String.raw`/\*\*(?:(?!\*/)[^])*\S(?:(?!\*/)[^])*\*/\s*${name}: `));
  });

  it.each(resolvedRows)('%s has a default, fixed or computed', (_name, row) => {
    expect(Object.hasOwn(row, 'default') !== Object.hasOwn(row, 'compute')).toBe(true);
  });

  it('has exactly one URL option', () => {
    const urls = [...ROWS].filter(([, row]) => 'feeds' in row && row.feeds === 'url');
    expect(urls.map(([name]) => name)).toEqual([URL_OPTION]);
  });

  it('gives every option its own resolved name', () => {
    const names = resolvedRows.map(([name, row]) => resolvedName(name, row));
    expect(new Set(names).size).toBe(names.length);
  });

  it('exports every fixed, present default as CONNECTION_DEFAULTS', () => {
    const expected = Object.fromEntries(
      resolvedRows.flatMap(([name, row]) =>
        'default' in row && row.default !== undefined ? [[resolvedName(name, row), row.default]] : [],
      ),
    );
    expect(CONNECTION_DEFAULTS).toEqual(expected);
    expect(Object.isFrozen(CONNECTION_DEFAULTS)).toBe(true);
  });
});

describe('option schema: URL query keys', () => {
  it('every key is unique and has a sample in this test', () => {
    expect(new Set(snakeKeys).size).toBe(snakeKeys.length);
    expect([...snakeKeys].sort()).toEqual(Object.keys(QUERY_SAMPLES).sort());
  });

  it('every accepted key maps to a row, under both spellings', () => {
    const expected = new Set(snakeKeys.flatMap((key) => [key, camel(key)]));
    expect(new Set(QUERY_KEYS.keys())).toEqual(expected);
    for (const [key, entry] of QUERY_KEYS) {
      expect(ROWS.get(entry.name), key).toBe(entry.row);
      expect(OPTIONS).toHaveProperty(entry.name);
    }
  });

  it.each(Object.entries(QUERY_SAMPLES))('%s=%s sets its option, as does its camelCase spelling', (key, [value, fields]) => {
    for (const spelling of new Set([key, camel(key)])) {
      expect(parseAmqpUrl(`amqps://h?${spelling}=${encodeURIComponent(value)}`)).toEqual({ host: 'h', tls: true, ...fields });
    }
    const entry = QUERY_KEYS.get(key);
    const touched = Object.keys(fields).map((field) => (field === 'tlsFiles' ? 'tls' : field));
    expect(touched).toContain(entry?.name);
  });

  it("every key is named in parseAmqpUrl's documentation", () => {
    const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export function parseAmqpUrl/.exec(source('url.ts'))?.[1] ?? '';
    for (const key of snakeKeys) expect(doc, key).toContain(`\`${key}\``);
  });
});

describe('option schema: no option is handled outside it', () => {
  it('the resolved options have exactly the schema names', () => {
    const names = resolvedRows.map(([name, row]) => resolvedName(name, row));
    expect(Object.keys(resolveConnectionOptions()).sort()).toEqual([...names].sort());
    expect(Object.keys(resolveConnectionOptions(SAMPLES)).sort()).toEqual([...names].sort());
  });

  it.each(resolvedRows)('%s, set in an options object, reaches the resolved options', (name, row) => {
    const key = resolvedName(name, row) as keyof ReturnType<typeof resolveConnectionOptions>;
    const value = SAMPLES[name as keyof typeof SAMPLES];
    expect(resolveConnectionOptions({ [name]: value })[key]).not.toEqual(resolveConnectionOptions()[key]);
  });

  it('url and credentials feed the options they stand for', () => {
    expect(resolveConnectionOptions({ url: SAMPLES.url })).toMatchObject({ host: 'other', port: 1111, vhost: 'v' });
    expect(resolveConnectionOptions({ credentials: SAMPLES.credentials })).toMatchObject({ username: 'cu', password: 'cp' });
  });

  it('resolve.ts names no option', () => {
    const code = source('resolve.ts').replace(/\/\*\*(?:(?!\*\/)[\s\S])*\*\/|\/\/.*$/gm, '');
    for (const [name, row] of ROWS) {
      for (const word of new Set([name, resolvedName(name, row)])) {
        expect(code, word).not.toMatch(new RegExp(String.raw`['"\x60.]${word}\b`));
      }
    }
  });
});
