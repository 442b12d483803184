/**
 * The connection options, one row each: the check, the URL query keys, the default, how several
 * sources merge, and (as the row's TSDoc) the documentation. `ConnectionOptions`,
 * `ResolvedConnectionOptions`, `CONNECTION_DEFAULTS`, option validation, URL query parsing and
 * resolution all derive from this table, so a new option is one row.
 * @packageDocumentation
 */
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { DEFAULT_FRAME_MAX } from '../../frames/constants.js';
import { ArgumentError } from '../errors.js';
import {
  atLeast,
  checkAuthMechanisms,
  checkCredentials,
  checkDelay,
  checkFrameMax,
  checkHost,
  checkLocale,
  checkPlainObject,
  checkSecret,
  checkShortText,
  checkString,
  checkTcp,
  checkTls,
  integer,
  parseAuthMechanism,
  type AuthMechanism,
  type Check,
  type TcpOptions,
} from './checks.js';

/** Port of `amqp://` URLs and plain TCP connections. */
export const AMQP_PORT = 5672;
/** Port of `amqps://` URLs and TLS connections. */
export const AMQPS_PORT = 5671;

/** Paths of PEM files named by an amqps URL; read when the options are resolved, not when parsed. */
export interface TlsFilePaths {
  /** `cacertfile`: the CA bundle that signs the server certificate. */
  ca?: string;
  /** `certfile`: the client certificate (for EXTERNAL authentication or peer verification). */
  cert?: string;
  /** `keyfile`: the client certificate's private key. */
  key?: string;
}

/** The query parameter that names each TLS file. */
export const TLS_FILE_PARAMS = { ca: 'cacertfile', cert: 'certfile', key: 'keyfile' } as const satisfies Record<
  keyof TlsFilePaths,
  string
>;

/** The fields of a URL that a query parameter with its own reader may set. */
export interface UrlDraft {
  tls?: boolean | TlsConnectionOptions;
  tlsFiles?: TlsFilePaths;
  authMechanism?: AuthMechanism | AuthMechanism[];
}

/** One query parameter of an AMQP URL. */
export interface QueryParam {
  /** The snake_case key; its camelCase spelling (`frameMax`) is accepted too. */
  readonly key: string;
  /** Other snake_case keys for the same parameter; giving two of them counts as a repeat. */
  readonly aliases?: readonly string[];
  /** May appear more than once; the values add up. Otherwise a repeat is an error. */
  readonly repeatable?: boolean;
  /** Only meaningful with amqps. */
  readonly amqpsOnly?: boolean;
  /**
   * How to read the percent-decoded value: `integer` (digits only, then the row's check),
   * `text` (the row's check), or a function that sets the draft itself and throws ArgumentError.
   */
  readonly read: 'integer' | 'text' | ((value: string, key: string, draft: UrlDraft) => void);
}

/** Every resolved option after merging, before computed defaults: what `compute` and `finish` read. */
export type Merged = Readonly<Record<string, unknown>>;

interface RowBase<In> {
  /** Validates a value from an options object or URL; returns it, normalized (as an `In`). */
  readonly check: Check<In>;
  /** The URL query parameters that set this option. */
  readonly query?: readonly QueryParam[];
}

interface ResolvedRowBase<In, Out, As extends string> extends RowBase<In> {
  /** The name in ResolvedConnectionOptions when it differs from the option's. */
  readonly resolvedAs?: As;
  /**
   * How the values of several sources become one. Absent: the strongest wins. `objects`: merged
   * key by key over the default. A function gets the values strongest first, at least one.
   */
  readonly merge?: 'objects' | ((values: readonly In[]) => Out);
  /** Adjusts the resolved value using other options. */
  readonly finish?: (value: Out, merged: Merged) => Out;
  /** What logs and JSON show instead of the value. */
  readonly redact?: (value: Out) => unknown;
}

/** An option with a fixed default (`undefined`: absent stays absent). */
export interface OptionRow<In, Out, As extends string = never> extends ResolvedRowBase<In, Out, As> {
  readonly default: Out;
}

/** An option whose default depends on other options. */
export interface ComputedRow<In, Out, As extends string = never> extends ResolvedRowBase<In, Out, As> {
  readonly compute: (merged: Merged) => Out;
}

/** An option that resolves to nothing of its own but supplies other options. */
export interface InputRow<In> extends RowBase<In> {
  /** `url`: the value is an AMQP URL, a weaker source of every option. A function: the options the value stands for. */
  readonly feeds: 'url' | ((value: In) => Record<string, unknown>);
}

/** Any row of the table, with its types erased. */
export type AnyRow =
  | OptionRow<unknown, unknown, string>
  | ComputedRow<unknown, unknown, string>
  | InputRow<unknown>;

// Each helper only fixes the row's types: In is what a caller may pass, Out what resolution yields.
const option = <In, Out = In, As extends string = never>(row: OptionRow<In, Out, As>): OptionRow<In, Out, As> => row;
const computed = <In, Out = In>(row: ComputedRow<In, Out>): ComputedRow<In, Out> => row;
const input = <In>(row: InputRow<In>): InputRow<In> => row;
const integerParam = (key: string): QueryParam => ({ key, read: 'integer' });

/**
 * `false` turns TLS off, `true` keeps what weaker sources set (or `{}`), objects merge.
 * Values come strongest first.
 */
function mergeTls(values: readonly (boolean | TlsConnectionOptions)[]): false | TlsConnectionOptions {
  let tls: false | TlsConnectionOptions = false;
  for (const v of [...values].reverse()) {
    const base: TlsConnectionOptions = tls === false ? {} : tls;
    if (v === false) tls = false;
    else if (v === true) tls = base;
    else tls = { ...base, ...v };
  }
  return tls;
}

/** Sets a TLS field from a query parameter; an amqps URL has already set `tls` to `true`. */
function setTls(draft: UrlDraft, patch: TlsConnectionOptions): void {
  draft.tls = { ...(typeof draft.tls === 'object' ? draft.tls : {}), ...patch };
}

function tlsFileParam(field: keyof TlsFilePaths): QueryParam {
  return {
    key: TLS_FILE_PARAMS[field],
    amqpsOnly: true,
    read(value, key, draft) {
      if (value === '') throw new ArgumentError(`${key} must be a file path`, key);
      draft.tlsFiles = { ...draft.tlsFiles, [field]: value };
    },
  };
}

/**
 * The table. Times are milliseconds except `heartbeat` (seconds, as on the wire). The TSDoc on each
 * row is the option's documentation in `ConnectionOptions`. Order is the order of the resolved
 * options.
 */
export const OPTIONS = {
  /** An AMQP URI ({@link parseAmqpUrl}); every other field of the same object overrides it. */
  url: input<string>({ check: checkString, feeds: 'url' }),
  /** Broker host name or IP address; an IPv6 address may come with or without brackets. Default `localhost`. */
  host: option<string>({ check: checkHost, default: 'localhost' }),
  /** TCP port, 1..65535. Default 5672, or 5671 with TLS. */
  port: computed<number>({
    check: integer(1, 0xffff),
    compute: (merged) => (merged['tls'] === false ? AMQP_PORT : AMQPS_PORT),
  }),
  /** Virtual host sent in connection.open (at most 255 UTF-8 bytes). Default `/`. */
  vhost: option<string>({ check: checkShortText, default: '/' }),
  /** SASL user name. Default `guest`. Overrides `credentials.username`. */
  username: option<string>({ check: checkString, default: 'guest' }),
  /** SASL password. Default `guest`. Overrides `credentials.password`. Never shown in messages. */
  password: option<string>({ check: checkSecret, default: 'guest', redact: () => '***' }),
  /** User name and password together (pika's `credentials`). */
  credentials: input<{ username: string; password: string }>({
    check: checkCredentials,
    feeds: ({ username, password }) => ({ username, password }),
  }),
  /** Mechanisms to offer, in order of preference. Default PLAIN then AMQPLAIN; EXTERNAL only when asked. */
  authMechanism: option<AuthMechanism | AuthMechanism[], readonly AuthMechanism[], 'authMechanisms'>({
    check: checkAuthMechanisms,
    resolvedAs: 'authMechanisms',
    default: ['PLAIN', 'AMQPLAIN'],
    query: [
      {
        key: 'auth_mechanism',
        repeatable: true,
        read(value, key, draft) {
          const list = value.split(',').map((item) => parseAuthMechanism(item, key));
          draft.authMechanism = [...new Set([...[draft.authMechanism ?? []].flat(), ...list])];
        },
      },
    ],
  }),
  /** Highest channel number to offer in tune-ok, 0..65535 (0: no limit). Default 2047. */
  channelMax: option<number>({ check: integer(0, 0xffff), default: 2047, query: [integerParam('channel_max')] }),
  /** Largest frame to offer, 0 (no limit) or 8192..2^32-1. Default 131072. */
  frameMax: option<number>({ check: checkFrameMax, default: DEFAULT_FRAME_MAX, query: [integerParam('frame_max')] }),
  /** Heartbeat in seconds, 0..65535. Absent: take the server's proposal. 0: heartbeats off. */
  heartbeat: option<number, number | undefined>({
    check: integer(0, 0xffff),
    default: undefined,
    query: [integerParam('heartbeat')],
  }),
  /**
   * `true` or Node TLS options to connect over TLS (an `amqps` URL sets `true`). Default `false`.
   * Resolved: `false`, or the TLS options with `servername` set to the host unless the host is an
   * IP address. The server certificate is verified (Node's default) unless `rejectUnauthorized:
   * false` or the URL's `verify=verify_none` says otherwise.
   */
  tls: option<boolean | TlsConnectionOptions, false | TlsConnectionOptions>({
    check: checkTls,
    default: false,
    merge: mergeTls,
    finish(tls, merged) {
      const host = merged['host'];
      if (tls === false || tls.servername !== undefined || typeof host !== 'string' || isIP(host) !== 0) return tls;
      return { ...tls, servername: host };
    },
    redact: (tls) => (tls !== false && tls.passphrase !== undefined ? { ...tls, passphrase: '***' } : tls),
    query: [
      tlsFileParam('ca'),
      tlsFileParam('cert'),
      tlsFileParam('key'),
      {
        key: 'verify',
        amqpsOnly: true,
        read(value, key, draft) {
          if (value !== 'verify_peer' && value !== 'verify_none') {
            throw new ArgumentError(`${key} must be verify_peer or verify_none, got '${value}'`, key);
          }
          setTls(draft, { rejectUnauthorized: value === 'verify_peer' });
        },
      },
      {
        key: 'server_name_indication',
        amqpsOnly: true,
        read(value, key, draft) {
          if (value === '') throw new ArgumentError(`${key} must be a host name or 'disable'`, key);
          // Node sends no SNI for an empty servername.
          setTls(draft, { servername: value === 'disable' ? '' : value });
        },
      },
    ],
  }),
  /** How many times to try to connect before giving up, at least 1. Default 1. */
  connectionAttempts: option<number>({ check: atLeast(1), default: 1, query: [integerParam('connection_attempts')] }),
  /** Pause between connection attempts. Default 2000. */
  retryDelay: option<number>({ check: checkDelay, default: 2000, query: [integerParam('retry_delay')] }),
  /** Inactivity limit on the socket while connecting. 0: none. Default 10000. */
  socketTimeout: option<number>({ check: checkDelay, default: 10_000, query: [integerParam('socket_timeout')] }),
  /** Limit for TCP connect plus the AMQP handshake up to open-ok. 0: none. Default 10000. */
  connectionTimeout: option<number>({ check: checkDelay, default: 10_000, query: [integerParam('connection_timeout')] }),
  /** Locale sent in start-ok. Default `en_US`. */
  locale: option<string>({ check: checkLocale, default: 'en_US', query: [{ key: 'locale', read: 'text' }] }),
  /** How long the broker may keep the connection blocked before it is closed. Absent or 0: forever. */
  blockedConnectionTimeout: option<number, number | undefined>({
    check: checkDelay,
    default: undefined,
    query: [integerParam('blocked_connection_timeout')],
  }),
  /**
   * Extra client_properties for start-ok (merged over the library's product/version/capabilities).
   * Several sources merge key by key; `name` sets `connection_name`.
   */
  clientProperties: option<Record<string, unknown>, Readonly<Record<string, unknown>>>({
    check: checkPlainObject,
    default: {},
    merge: 'objects',
    finish: (props, merged) =>
      typeof merged['name'] === 'string' ? { ...props, connection_name: merged['name'] } : props,
  }),
  /** Connection name shown by the management UI: sets `client_properties.connection_name`. */
  name: option<string, string | undefined>({
    check: checkString,
    default: undefined,
    query: [{ key: 'name', aliases: ['connection_name'], read: 'text' }],
  }),
  /** Socket options. Defaults: noDelay true, keepAlive true, keepAliveInitialDelay 0 (OS default). */
  tcp: option<TcpOptions, Readonly<Required<TcpOptions>>>({
    check: checkTcp,
    default: { noDelay: true, keepAlive: true, keepAliveInitialDelay: 0 },
    merge: 'objects',
  }),
  /** Limit for the connection.close handshake before the socket is destroyed. 0: none. Default 5000. */
  closeTimeout: option<number>({ check: checkDelay, default: 5000, query: [integerParam('close_timeout')] }),
  /** Limit for the reply to a synchronous method (declare, bind, qos...). 0: none. Default 30000. */
  rpcTimeout: option<number>({ check: checkDelay, default: 30_000, query: [integerParam('rpc_timeout')] }),
  /** Bytes of unsent output above which basicPublish returns false and `drain` is awaited. Default 256 KiB. */
  writeHighWaterMark: option<number>({ check: atLeast(1), default: 256 * 1024 }),
  /** Largest message body accepted from the broker, checked when its header announces the size. Default 128 MiB. */
  maxMessageSize: option<number>({ check: atLeast(0), default: 128 * 1024 * 1024 }),
  /** Confirmed publishes per channel awaiting their ack before publishConfirmed waits. Default 2048. */
  maxConfirmsInFlight: option<number>({ check: atLeast(1), default: 2048 }),
};

/** The table with its row types erased, for code that walks every row. */
export const ROWS: ReadonlyMap<string, AnyRow> = new Map(Object.entries(OPTIONS) as Array<[string, AnyRow]>);

/** The option whose value is an AMQP URL: the one row that feeds `url`. */
export const URL_OPTION: string = [...ROWS].find(([, row]) => 'feeds' in row && row.feeds === 'url')?.[0] ?? '';

/** The name an option has in ResolvedConnectionOptions. */
export function resolvedName(name: string, row: AnyRow): string {
  return 'resolvedAs' in row && row.resolvedAs !== undefined ? row.resolvedAs : name;
}
