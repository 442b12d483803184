/**
 * Connection options: what `connect()` accepts, the defaults, and how a URL and option objects
 * merge into one {@link ResolvedConnectionOptions}. Every option is one row of `schema.ts`.
 * @packageDocumentation
 */
export { ArgumentError } from '../errors.js';
export { AMQP_PORT, AMQPS_PORT } from './schema.js';
export { CONNECTION_DEFAULTS, resolveConnectionOptions } from './resolve.js';
export { parseAmqpUrl, redactUrl } from './url.js';
export type {
  AmqpUrlFields, AuthMechanism, ConnectionDefaults, ConnectionOptions, ResolvedConnectionOptions, TlsFilePaths,
} from './types.js';
