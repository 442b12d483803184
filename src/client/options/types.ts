/**
 * The option types, derived from the rows of the schema so that they cannot drift from the checks,
 * defaults and URL keys. Each field's documentation is its row's TSDoc.
 * @packageDocumentation
 */
import type { ComputedRow, InputRow, OPTIONS, OptionRow, TlsFilePaths } from './schema.js';

export type { AuthMechanism } from './checks.js';
export type { TlsFilePaths } from './schema.js';

type Rows = typeof OPTIONS;

type InputOf<R> =
  R extends OptionRow<infer In, infer _Out, infer _As>
    ? In
    : R extends ComputedRow<infer In, infer _Out>
      ? In
      : R extends InputRow<infer In>
        ? In
        : never;

type OutputOf<R> =
  R extends OptionRow<infer _In, infer Out, infer _As> ? Out : R extends ComputedRow<infer _In, infer Out> ? Out : never;

/** The resolved name of row R under key K; never for a row that only feeds others. */
type ResolvedKey<K, R> =
  R extends OptionRow<infer _In, infer _Out, infer As>
    ? [As] extends [never]
      ? K
      : As
    : R extends ComputedRow<infer _In, infer _Out>
      ? K
      : never;

/**
 * What `connect(url | options, options?)` accepts. Every field is optional; see
 * {@link CONNECTION_DEFAULTS}. Times are milliseconds except `heartbeat` (seconds, as on the wire).
 */
export type ConnectionOptions = { [K in keyof Rows]?: InputOf<Rows[K]> };

/**
 * Options with every default applied and every source merged. `tls` is `false` or Node TLS options
 * with `servername` filled in. `util.inspect()` and `JSON.stringify()` show the password as `***`.
 */
export type ResolvedConnectionOptions = {
  readonly [K in keyof Rows as ResolvedKey<K, Rows[K]>]: OutputOf<Rows[K]>;
};

/** The options whose default does not depend on others, under their resolved names. */
export type ConnectionDefaults = {
  readonly [K in keyof Rows as Rows[K] extends { readonly default: infer D }
    ? undefined extends D
      ? never
      : ResolvedKey<K, Rows[K]>
    : never]: OutputOf<Rows[K]>;
};

/**
 * What an AMQP URL spells out, and nothing more: fields the URL leaves out stay absent so that
 * option objects and defaults can fill them. `tlsFiles` carries `cacertfile`/`certfile`/`keyfile`.
 */
export interface AmqpUrlFields extends ConnectionOptions {
  tlsFiles?: TlsFilePaths;
}
