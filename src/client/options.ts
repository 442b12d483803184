/**
 * Connection options: what `connect()` accepts, the defaults, validation, and how a URL and
 * option objects merge into one {@link ResolvedConnectionOptions}.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { DEFAULT_FRAME_MAX } from '../frames/constants.js';
import { ArgumentError } from './errors.js';
import { isObject, validateObject } from './option-checks.js';
import { parseAmqpUrl, redactUrl, type AmqpUrlFields, type TlsFilePaths } from './url.js';

export { ArgumentError };

/** SASL mechanisms amqp-wire speaks. */
export type AuthMechanism = 'PLAIN' | 'AMQPLAIN' | 'EXTERNAL';

/** Port of `amqp://` URLs and plain TCP connections. */
export const AMQP_PORT = 5672;
/** Port of `amqps://` URLs and TLS connections. */
export const AMQPS_PORT = 5671;

/**
 * What `connect(url | options, options?)` accepts. Every field is optional; see
 * {@link CONNECTION_DEFAULTS}. Times are milliseconds except `heartbeat` (seconds, as on the wire).
 */
export interface ConnectionOptions {
  /** An AMQP URI ({@link parseAmqpUrl}); every other field of the same object overrides it. */
  url?: string;
  /** Broker host name or IP address; an IPv6 address may come with or without brackets. */
  host?: string;
  /** TCP port, 1..65535. Default 5672, or 5671 with TLS. */
  port?: number;
  /** Virtual host sent in connection.open (at most 255 UTF-8 bytes). Default `/`. */
  vhost?: string;
  /** SASL user name. Default `guest`. Overrides `credentials.username`. */
  username?: string;
  /** SASL password. Default `guest`. Overrides `credentials.password`. Never shown in messages. */
  password?: string;
  /** User name and password together (pika's `credentials`). */
  credentials?: { username: string; password: string };
  /** Mechanisms to offer, in order of preference. Default PLAIN then AMQPLAIN; EXTERNAL only when asked. */
  authMechanism?: AuthMechanism | AuthMechanism[];
  /** Highest channel number to offer in tune-ok, 0..65535 (0: no limit). Default 2047. */
  channelMax?: number;
  /** Largest frame to offer, 0 (no limit) or 8192..2^32-1. Default 131072. */
  frameMax?: number;
  /** Heartbeat in seconds, 0..65535. Absent: take the server's proposal. 0: heartbeats off. */
  heartbeat?: number;
  /** `true` or Node TLS options to connect over TLS (an `amqps` URL sets `true`). Default `false`. */
  tls?: boolean | TlsConnectionOptions;
  /** How many times to try to connect before giving up, at least 1. Default 1. */
  connectionAttempts?: number;
  /** Pause between connection attempts. Default 2000. */
  retryDelay?: number;
  /** Inactivity limit on the socket while connecting. 0: none. Default 10000. */
  socketTimeout?: number;
  /** Limit for TCP connect plus the AMQP handshake up to open-ok. 0: none. Default 10000. */
  connectionTimeout?: number;
  /** Locale sent in start-ok. Default `en_US`. */
  locale?: string;
  /** How long the broker may keep the connection blocked before it is closed. Absent or 0: forever. */
  blockedConnectionTimeout?: number;
  /** Extra client_properties for start-ok (merged over the library's product/version/capabilities). */
  clientProperties?: Record<string, unknown>;
  /** Connection name shown by the management UI: sets `client_properties.connection_name`. */
  name?: string;
  /** Socket options. Defaults: noDelay true, keepAlive true, keepAliveInitialDelay 0 (OS default). */
  tcp?: { noDelay?: boolean; keepAlive?: boolean; keepAliveInitialDelay?: number };
  /** Limit for the connection.close handshake before the socket is destroyed. 0: none. Default 5000. */
  closeTimeout?: number;
  /** Limit for the reply to a synchronous method (declare, bind, qos...). 0: none. Default 30000. */
  rpcTimeout?: number;
  /** Bytes of unsent output above which basicPublish returns false and `drain` is awaited. Default 256 KiB. */
  writeHighWaterMark?: number;
  /** Largest message body accepted from the broker, checked when its header announces the size. Default 128 MiB. */
  maxMessageSize?: number;
  /** Confirmed publishes per channel awaiting their ack before publishConfirmed waits. Default 2048. */
  maxConfirmsInFlight?: number;
}

/**
 * Options with every default applied and every source merged. `tls` is `false` or Node TLS options
 * with `servername` filled in. `util.inspect()` and `JSON.stringify()` show the password as `***`.
 */
export interface ResolvedConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly vhost: string;
  readonly username: string;
  readonly password: string;
  readonly authMechanisms: readonly AuthMechanism[];
  readonly channelMax: number;
  readonly frameMax: number;
  /** `undefined`: take the server's proposal; 0: off. */
  readonly heartbeat: number | undefined;
  readonly tls: false | TlsConnectionOptions;
  readonly connectionAttempts: number;
  readonly retryDelay: number;
  readonly socketTimeout: number;
  readonly connectionTimeout: number;
  readonly locale: string;
  /** `undefined` or 0: no limit. */
  readonly blockedConnectionTimeout: number | undefined;
  /** Caller's client properties, with `connection_name` set when `name` is. */
  readonly clientProperties: Readonly<Record<string, unknown>>;
  readonly name: string | undefined;
  readonly tcp: { readonly noDelay: boolean; readonly keepAlive: boolean; readonly keepAliveInitialDelay: number };
  readonly closeTimeout: number;
  readonly rpcTimeout: number;
  readonly writeHighWaterMark: number;
  readonly maxMessageSize: number;
  readonly maxConfirmsInFlight: number;
}

/** The defaults: the protocol's and pika's, with RabbitMQ's channel_max and frame_max. */
export const CONNECTION_DEFAULTS = Object.freeze({
  host: 'localhost',
  vhost: '/',
  username: 'guest',
  password: 'guest',
  authMechanisms: Object.freeze(['PLAIN', 'AMQPLAIN'] as const),
  channelMax: 2047,
  frameMax: DEFAULT_FRAME_MAX,
  connectionAttempts: 1,
  retryDelay: 2000,
  socketTimeout: 10_000,
  connectionTimeout: 10_000,
  locale: 'en_US',
  tcp: Object.freeze({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 0 }),
  closeTimeout: 5000,
  rpcTimeout: 30_000,
  writeHighWaterMark: 256 * 1024,
  maxMessageSize: 128 * 1024 * 1024,
  maxConfirmsInFlight: 2048,
});

/** One source of options after validation: flat credentials and a list of mechanisms. */
type Layer = Omit<ConnectionOptions, 'url' | 'credentials' | 'authMechanism'> & {
  authMechanisms?: AuthMechanism[];
};

function toLayer(options: ConnectionOptions | AmqpUrlFields): Layer {
  const { url: _url, credentials, authMechanism, ...rest } = options;
  const layer: Layer & { tlsFiles?: TlsFilePaths } = { ...rest };
  delete layer.tlsFiles;
  if (credentials !== undefined) {
    layer.username ??= credentials.username;
    layer.password ??= credentials.password;
  }
  if (authMechanism !== undefined) {
    layer.authMechanisms = typeof authMechanism === 'string' ? [authMechanism] : authMechanism;
  }
  return layer;
}

const TLS_FILES = [
  ['ca', 'cacertfile'],
  ['cert', 'certfile'],
  ['key', 'keyfile'],
] as const;

function urlLayer(url: string): Layer {
  const fields = parseAmqpUrl(url);
  const layer = toLayer(fields);
  const files = fields.tlsFiles;
  if (files === undefined) return layer;
  const tls: TlsConnectionOptions = isObject(layer.tls) ? { ...layer.tls } : {};
  for (const [field, param] of TLS_FILES) {
    const path = files[field];
    if (path === undefined) continue;
    try {
      tls[field] = readFileSync(path);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ArgumentError(`cannot read ${param} '${path}' from '${redactUrl(url)}': ${reason}`, param, err);
    }
  }
  layer.tls = tls;
  return layer;
}

/** Layers are ordered from strongest to weakest; the first one that sets a field wins. */
function pick<K extends keyof Layer>(layers: readonly Layer[], key: K): Layer[K] | undefined {
  for (const layer of layers) if (layer[key] !== undefined) return layer[key];
  return undefined;
}

/** `false` turns TLS off, `true` keeps what weaker layers set (or `{}`), objects merge. */
function mergeTls(layers: readonly Layer[]): false | TlsConnectionOptions {
  let tls: false | TlsConnectionOptions = false;
  for (const layer of [...layers].reverse()) {
    const v = layer.tls;
    if (v === undefined) continue;
    const base: TlsConnectionOptions = tls === false ? {} : tls;
    if (v === false) tls = false;
    else if (v === true) tls = base;
    else tls = { ...base, ...v };
  }
  return tls;
}

function mergeObjects<T extends object>(layers: readonly Layer[], get: (l: Layer) => T | undefined): T {
  const out = {} as T;
  for (const layer of [...layers].reverse()) {
    for (const [k, v] of Object.entries(get(layer) ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * Merges a URL and option objects into complete, validated options. Precedence, strongest first:
 * fields of the first argument's object; the second argument; the URL (the first argument when it
 * is a string, else the `url` field of either object); {@link CONNECTION_DEFAULTS}.
 * TLS files named in the URL are read here. Without an explicit port, TLS picks 5671, else 5672.
 * `tls.servername` defaults to the host unless the host is an IP address. The server certificate is
 * verified (Node's default) unless `rejectUnauthorized: false` or `verify=verify_none` says otherwise.
 *
 * @throws {@link ArgumentError} for any malformed or out-of-range option; never shows the password.
 */
export function resolveConnectionOptions(
  urlOrOptions?: string | ConnectionOptions,
  extra?: ConnectionOptions,
): ResolvedConnectionOptions {
  const first = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : validateObject(urlOrOptions, 'options');
  const second = validateObject(extra, 'extra options');
  if (first.url !== undefined && second.url !== undefined) {
    throw new ArgumentError('a URL was given twice (first argument and the url option); pass one', 'url');
  }
  const url = first.url ?? second.url;
  const layers = [toLayer(first), toLayer(second), ...(url === undefined ? [] : [urlLayer(url)])];
  const get = <K extends keyof Layer>(key: K): Layer[K] | undefined => pick(layers, key);
  const d = CONNECTION_DEFAULTS;
  const host = get('host') ?? d.host;
  const tls = mergeTls(layers);
  if (tls !== false && tls.servername === undefined && isIP(host) === 0) tls.servername = host;
  const name = get('name');
  const clientProperties: Record<string, unknown> = mergeObjects(layers, (l) => l.clientProperties);
  if (name !== undefined) clientProperties['connection_name'] = name;
  const resolved: ResolvedConnectionOptions = {
    host,
    port: get('port') ?? (tls === false ? AMQP_PORT : AMQPS_PORT),
    vhost: get('vhost') ?? d.vhost,
    username: get('username') ?? d.username,
    password: get('password') ?? d.password,
    authMechanisms: get('authMechanisms') ?? [...d.authMechanisms],
    channelMax: get('channelMax') ?? d.channelMax,
    frameMax: get('frameMax') ?? d.frameMax,
    heartbeat: get('heartbeat'),
    tls,
    connectionAttempts: get('connectionAttempts') ?? d.connectionAttempts,
    retryDelay: get('retryDelay') ?? d.retryDelay,
    socketTimeout: get('socketTimeout') ?? d.socketTimeout,
    connectionTimeout: get('connectionTimeout') ?? d.connectionTimeout,
    locale: get('locale') ?? d.locale,
    blockedConnectionTimeout: get('blockedConnectionTimeout'),
    clientProperties,
    name,
    tcp: { ...d.tcp, ...mergeObjects(layers, (l) => l.tcp) },
    closeTimeout: get('closeTimeout') ?? d.closeTimeout,
    rpcTimeout: get('rpcTimeout') ?? d.rpcTimeout,
    writeHighWaterMark: get('writeHighWaterMark') ?? d.writeHighWaterMark,
    maxMessageSize: get('maxMessageSize') ?? d.maxMessageSize,
    maxConfirmsInFlight: get('maxConfirmsInFlight') ?? d.maxConfirmsInFlight,
  };
  return hideSecrets(resolved);
}

/** Gives the resolved options an inspect() and toJSON() that show `***` for the password. */
function hideSecrets(resolved: ResolvedConnectionOptions): ResolvedConnectionOptions {
  const redacted = (): Record<string, unknown> => {
    const tls = resolved.tls;
    const safeTls = tls !== false && tls.passphrase !== undefined ? { ...tls, passphrase: '***' } : tls;
    return { ...resolved, password: '***', tls: safeTls };
  };
  Object.defineProperty(resolved, Symbol.for('nodejs.util.inspect.custom'), {
    value: (_depth: number, opts: object, inspect: (v: unknown, o: object) => string) => inspect(redacted(), opts),
  });
  Object.defineProperty(resolved, 'toJSON', { value: redacted });
  return resolved;
}
