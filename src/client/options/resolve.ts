/**
 * Resolution: checks option objects against the schema, then merges them, the URL and the
 * defaults into one {@link ResolvedConnectionOptions}, row by row. Nothing here knows any option
 * by name: what each one does lives in its schema row.
 * @packageDocumentation
 */
import { ArgumentError } from '../errors.js';
import { isObject } from './checks.js';
import { ROWS, URL_OPTION, resolvedName, type AnyRow } from './schema.js';
import type { ConnectionDefaults, ConnectionOptions, ResolvedConnectionOptions } from './types.js';
import { loadAmqpUrl } from './url.js';

type Values = Readonly<Record<string, unknown>>;

const freeze = <T>(value: T): T => (typeof value === 'object' && value !== null ? Object.freeze(value) : value);

/** A copy of an array or object default, so no caller can change the table through a result. */
const fresh = (value: unknown): unknown =>
  Array.isArray(value) ? [...value] : isObject(value) ? { ...value } : value;

/** The defaults: the protocol's and pika's, with RabbitMQ's channel_max and frame_max. */
export const CONNECTION_DEFAULTS: ConnectionDefaults = (() => {
  const out: Record<string, unknown> = {};
  for (const [name, row] of ROWS) {
    if ('default' in row && row.default !== undefined) out[resolvedName(name, row)] = freeze(row.default);
  }
  return Object.freeze(out) as ConnectionDefaults;
})();

/** Checks every field of a user's options object; unknown keys are errors. */
function checkObject(raw: unknown, argument: string): Values {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw new ArgumentError(`${argument} must be a URL string or an options object`, argument);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const row = ROWS.get(key);
    if (row === undefined) throw new ArgumentError(`unknown connection option '${key}'`, key);
    if (value !== undefined) out[key] = row.check(value, key);
  }
  return out;
}

/**
 * One source of options, keyed by option name: its own fields, then what its feeding options
 * (credentials) stand for where the source does not set those fields itself.
 */
function toLayer(options: Values): Values {
  const layer: Record<string, unknown> = {};
  const feeders: Array<[(value: unknown) => Values, unknown]> = [];
  for (const [name, value] of Object.entries(options)) {
    const row = ROWS.get(name);
    if (row === undefined || value === undefined) continue;
    if (!('feeds' in row)) layer[name] = value;
    else if (typeof row.feeds === 'function') feeders.push([row.feeds, value]);
  }
  for (const [feed, value] of feeders) {
    for (const [name, fed] of Object.entries(feed(value))) layer[name] ??= fed;
  }
  return layer;
}

/** One option's value from every source that sets it, strongest first. */
function mergeRow(row: Exclude<AnyRow, { feeds: unknown }>, values: readonly unknown[]): unknown {
  const fallback = 'default' in row ? fresh(row.default) : undefined;
  if (row.merge === 'objects') {
    const out: Record<string, unknown> = isObject(fallback) ? fallback : {};
    for (const value of [...values].reverse()) {
      for (const [k, v] of Object.entries(value as object)) if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (values.length === 0) return fallback;
  return typeof row.merge === 'function' ? row.merge(values) : values[0];
}

/**
 * Merges a URL and option objects into complete, checked options. Precedence, strongest first:
 * fields of the first argument's object; the second argument; the URL (the first argument when it
 * is a string, else the `url` field of either object); the defaults. TLS files named in the URL
 * are read here. Each option's default and merge rule is in its schema row: without an explicit
 * port, TLS picks 5671, else 5672; `tls.servername` defaults to the host unless the host is an IP
 * address; the server certificate is verified (Node's default) unless `rejectUnauthorized: false`
 * or `verify=verify_none` says otherwise.
 *
 * @throws {@link ArgumentError} for any malformed or out-of-range option; never shows the password.
 */
export function resolveConnectionOptions(
  urlOrOptions?: string | ConnectionOptions,
  extra?: ConnectionOptions,
): ResolvedConnectionOptions {
  const first = typeof urlOrOptions === 'string' ? { [URL_OPTION]: urlOrOptions } : checkObject(urlOrOptions, 'options');
  const second = checkObject(extra, 'extra options');
  if (first[URL_OPTION] !== undefined && second[URL_OPTION] !== undefined) {
    throw new ArgumentError(`a URL was given twice (first argument and the ${URL_OPTION} option); pass one`, URL_OPTION);
  }
  const url = first[URL_OPTION] ?? second[URL_OPTION];
  const layers = [toLayer(first), toLayer(second)];
  if (typeof url === 'string') layers.push(toLayer(loadAmqpUrl(url)));

  // Two passes: merge every option with its fixed default, then computed defaults and finishing
  // steps, which read the merged values of other options.
  const merged: Record<string, unknown> = {};
  for (const [name, row] of ROWS) {
    if ('feeds' in row) continue;
    const values = layers.map((layer) => layer[name]).filter((v) => v !== undefined);
    merged[resolvedName(name, row)] = mergeRow(row, values);
  }
  const resolved: Record<string, unknown> = {};
  for (const [name, row] of ROWS) {
    if ('feeds' in row) continue;
    const key = resolvedName(name, row);
    let value = merged[key];
    if (value === undefined && 'compute' in row) value = row.compute(merged);
    resolved[key] = row.finish === undefined ? value : row.finish(value, merged);
  }
  return hideSecrets(resolved as ResolvedConnectionOptions);
}

/** Gives the resolved options an inspect() and toJSON() that show what each row's `redact` says. */
function hideSecrets(resolved: ResolvedConnectionOptions): ResolvedConnectionOptions {
  const redacted = (): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...resolved };
    for (const [name, row] of ROWS) {
      if ('feeds' in row || row.redact === undefined) continue;
      const key = resolvedName(name, row);
      out[key] = row.redact(out[key]);
    }
    return out;
  };
  Object.defineProperty(resolved, Symbol.for('nodejs.util.inspect.custom'), {
    value: (_depth: number, opts: object, inspect: (v: unknown, o: object) => string) => inspect(redacted(), opts),
  });
  Object.defineProperty(resolved, 'toJSON', { value: redacted });
  return resolved;
}
