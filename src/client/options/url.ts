/**
 * AMQP URIs: `amqp[s]://user:pass@host:port/vhost?key=value`, read by RabbitMQ's AMQP URI
 * specification and the query parameters its clients accept. The query keys come from the option
 * schema; each value goes through its option's check.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ArgumentError } from '../errors.js';
import { isObject } from './checks.js';
import { OPTIONS, ROWS, TLS_FILE_PARAMS, type AnyRow, type QueryParam, type UrlDraft } from './schema.js';
import type { AmqpUrlFields, ConnectionOptions } from './types.js';

export type { AmqpUrlFields, TlsFilePaths } from './types.js';

// scheme "://" authority path [ "?" query ] [ "#" fragment ]  (RFC 3986 section 3)
const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/s;

/**
 * Parses an AMQP URI into connection options.
 *
 * - `amqp` or `amqps` (case-insensitive); `amqps` sets `tls` (and, later, the default port 5671).
 * - User info is percent-decoded as UTF-8: `amqp://us%C3%A9r:p%40ss@h` is `usér` / `p@ss`.
 *   A missing part stays absent (the default `guest` applies); an empty one is the empty string.
 * - An IPv6 host comes in brackets (`amqp://[::1]:5673`); an empty host leaves `host` absent.
 * - The vhost is the percent-decoded path after the leading slash: `amqp://h/vh` is `vh`,
 *   `amqp://h/%2f` is `/`. A second unescaped `/` in the path is an error.
 *   Both `amqp://h` and `amqp://h/` leave the vhost absent, so the default `/` applies. The URI
 *   specification reads `amqp://h/` as the vhost named "" (empty); a connection to that vhost can
 *   only be refused, so amqp-wire follows pika here and treats the trailing slash as "no vhost".
 * - Query parameters, snake_case or camelCase (`frame_max` or `frameMax`): `heartbeat` (seconds),
 *   `channel_max`, `frame_max`, `connection_timeout`, `socket_timeout`, `retry_delay`,
 *   `blocked_connection_timeout`, `close_timeout`, `rpc_timeout` (all milliseconds, unlike pika's
 *   seconds), `connection_attempts`, `auth_mechanism` (repeatable, or a comma list), `locale`,
 *   `name` / `connection_name`; with `amqps` also `cacertfile`, `certfile`, `keyfile`,
 *   `verify` (`verify_peer` / `verify_none`) and `server_name_indication` (a host name, or
 *   `disable`). Keys and values are percent-decoded; `+` stays a plus sign (RFC 3986, not HTML
 *   forms). An unknown or repeated parameter is an error, so a typo never goes unnoticed.
 *
 * @throws {@link ArgumentError} naming the part at fault; the password never appears in it.
 */
export function parseAmqpUrl(url: string): AmqpUrlFields {
  if (typeof url !== 'string') throw new ArgumentError('an AMQP URL must be a string', 'url');
  let fail = (problem: string, option?: string): ArgumentError =>
    new ArgumentError(`invalid AMQP URL '${redactUrl(url)}': ${problem}`, option);
  if (/[\s\x00-\x1f\x7f]/.test(url)) throw fail('it contains whitespace or control characters');
  const m = URL_SHAPE.exec(url);
  if (m === null) throw fail('expected amqp://[user[:password]@]host[:port][/vhost][?query]');
  const [, scheme = '', authority = '', path = '', query, fragment] = m;
  if (!authority.includes('@') && authority.includes(':') && url.includes('@', scheme.length + 3 + authority.length)) {
    // "amqp://u:pa/ss@h": an unescaped '/', '?' or '#' cut the authority inside the password, so
    // parts of it now sit in the port, path or query. Echo none of them.
    fail = () =>
      new ArgumentError(
        `invalid AMQP URL '${redactUrl(url)}': a password containing '/', '?' or '#' must be percent-encoded`,
      );
  }
  const out: AmqpUrlFields = {};
  const lower = scheme.toLowerCase();
  if (lower !== 'amqp' && lower !== 'amqps') throw fail(`scheme must be amqp or amqps, got '${scheme}'`, 'scheme');
  if (fragment !== undefined) throw fail('a fragment (#...) has no meaning in an AMQP URL');
  out.tls = lower === 'amqps';
  const own = new WeakSet<ArgumentError>();
  const failHere: Fail = (problem, option) => {
    const err = fail(problem, option);
    own.add(err);
    return err;
  };
  try {
    parseAuthority(authority, out, failHere);
    parseVhost(path, out, failHere);
    if (query !== undefined) parseQuery(query, out, failHere);
  } catch (err) {
    // the schema's checks and readers know nothing of the URL: add it (or hide all)
    if (err instanceof ArgumentError && !own.has(err)) throw fail(err.message, err.option);
    throw err;
  }
  return out;
}

type Fail = (problem: string, option?: string) => ArgumentError;

function decode(text: string, what: string, fail: Fail): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw fail(`${what} is not valid percent-encoded UTF-8`, what);
  }
}

function parseAuthority(authority: string, out: AmqpUrlFields, fail: Fail): void {
  // The last '@' ends the user info, so an unescaped '@' in a password still parses.
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    out.username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'username', fail);
    if (colon >= 0) out.password = decode(userinfo.slice(colon + 1), 'password', fail);
  }
  parseHostPort(authority.slice(at + 1), out, fail);
}

function parseHostPort(hostport: string, out: AmqpUrlFields, fail: Fail): void {
  let host: string;
  let port: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw fail("an IPv6 host is missing its closing ']'", 'host');
    // zone ids arrive escaped: [fe80::1%25eth0]
    host = decode(hostport.slice(1, close), 'host', fail);
    if (!isIPv6(host)) throw fail(`'${host}' in brackets is not an IPv6 address`, 'host');
    const rest = hostport.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw fail(`unexpected '${rest}' after the IPv6 host`, 'host');
    if (rest !== '') port = rest.slice(1);
  } else {
    const colon = hostport.indexOf(':');
    if (colon >= 0 && hostport.includes(':', colon + 1)) {
      throw fail('an IPv6 host must be written in brackets, as in amqp://[::1]:5672', 'host');
    }
    host = decode(colon < 0 ? hostport : hostport.slice(0, colon), 'host', fail);
    if (colon >= 0) port = hostport.slice(colon + 1);
  }
  if (host !== '') out.host = host;
  // RFC 3986 allows an empty port after the colon: it means the default.
  if (port !== undefined && port !== '') {
    if (!/^\d+$/.test(port)) throw fail('the port is not a number', 'port');
    out.port = OPTIONS.port.check(Number(port), 'port');
  }
}

function parseVhost(path: string, out: AmqpUrlFields, fail: Fail): void {
  if (path === '' || path === '/') return;
  const segment = path.slice(1);
  if (segment.includes('/')) {
    throw fail("the vhost must be one path segment; write a '/' inside it as %2F", 'vhost');
  }
  out.vhost = OPTIONS.vhost.check(decode(segment, 'vhost', fail), 'vhost');
}

/** A query key, the parameter it spells and the option that parameter sets. */
interface QueryEntry {
  readonly name: string;
  readonly row: AnyRow;
  readonly param: QueryParam;
}

const camelCase = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Every accepted query key: each parameter's snake_case key and aliases from the schema, and the
 * camelCase spelling of each.
 */
export const QUERY_KEYS: ReadonlyMap<string, QueryEntry> = (() => {
  const map = new Map<string, QueryEntry>();
  for (const [name, row] of ROWS) {
    for (const param of row.query ?? []) {
      for (const key of [param.key, ...(param.aliases ?? [])]) {
        map.set(key, { name, row, param });
        map.set(camelCase(key), { name, row, param });
      }
    }
  }
  return map;
})();

function readParam(value: string, key: string, entry: QueryEntry, draft: UrlDraft): void {
  const { read } = entry.param;
  if (typeof read === 'function') return read(value, key, draft);
  if (read === 'integer' && !/^\d+$/.test(value)) {
    throw new ArgumentError(`${key} must be a non-negative integer, got '${value}'`, key);
  }
  (draft as Record<string, unknown>)[entry.name] = entry.row.check(read === 'integer' ? Number(value) : value, key);
}

function parseQuery(query: string, out: AmqpUrlFields, fail: Fail): void {
  const draft: UrlDraft = out;
  const seen = new Set<QueryParam>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq), 'query parameter name', fail);
    const entry = QUERY_KEYS.get(key);
    if (entry === undefined) throw fail(`unknown query parameter '${key}'`, key);
    if (eq < 0) throw fail(`query parameter '${key}' has no value`, key);
    if (seen.has(entry.param) && entry.param.repeatable !== true) {
      throw fail(`query parameter '${key}' is given more than once`, key);
    }
    if (entry.param.amqpsOnly === true && out.tls === false) {
      throw fail(`'${key}' needs an amqps URL`, key);
    }
    seen.add(entry.param);
    readParam(decode(part.slice(eq + 1), key, fail), key, entry, draft);
  }
}

/**
 * Parses an AMQP URL and reads the TLS files it names (`cacertfile`, `certfile`, `keyfile`) into
 * `tls.ca`, `tls.cert` and `tls.key`: the URL as one source of connection options.
 * @throws {@link ArgumentError} for a malformed URL or an unreadable file; never shows the password.
 */
export function loadAmqpUrl(url: string): ConnectionOptions {
  const { tlsFiles, ...fields } = parseAmqpUrl(url);
  if (tlsFiles === undefined) return fields;
  const tls: TlsConnectionOptions = isObject(fields.tls) ? { ...fields.tls } : {};
  for (const [field, param] of Object.entries(TLS_FILE_PARAMS) as Array<[keyof typeof TLS_FILE_PARAMS, string]>) {
    const path = tlsFiles[field];
    if (path === undefined) continue;
    try {
      tls[field] = readFileSync(path);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ArgumentError(`cannot read ${param} '${path}' from '${redactUrl(url)}': ${reason}`, param, err);
    }
  }
  return { ...fields, tls };
}

/**
 * The URL with its password replaced by `***`, for error messages, logs and `inspect()`.
 * Works on malformed input too: when the end of the user info is unclear it hides more, never
 * less (everything up to the last `@`).
 */
export function redactUrl(url: string): string {
  const slashes = url.indexOf('://');
  if (slashes < 0) {
    const at = url.lastIndexOf('@');
    if (at < 0) return url;
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0] ?? '';
    return `${scheme}***${url.slice(at)}`;
  }
  const start = slashes + 3;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const colon = url.indexOf(':', start);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}
