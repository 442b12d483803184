/**
 * Validators for connection options: each takes an unknown value and the name to blame (`frameMax`
 * in an options object, `frame_max` in a URL), and returns the value, normalized, or throws.
 * The schema assigns one to each option; the URL parser reuses them on query values.
 * @packageDocumentation
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { CLIENT_MIN_FRAME_MAX } from '../../frames/constants.js';
import { ArgumentError } from '../errors.js';

/** The SASL mechanisms amqp-wire speaks. */
export const AUTH_MECHANISMS = ['PLAIN', 'AMQPLAIN', 'EXTERNAL'] as const;

/** SASL mechanisms amqp-wire speaks. */
export type AuthMechanism = (typeof AUTH_MECHANISMS)[number];

/** Checks one option value and returns it, normalized; `key` names the option in errors. */
export type Check<T> = (value: unknown, key: string) => T;

// Node clamps a setTimeout delay above 2^31-1 ms to 1 ms (with a warning): refuse such delays.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** A short, safe rendering of a bad value for an error message. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : typeof value;
}

/** An integer from `min` to `max`: the range of the wire field, or what a timer can hold. */
export function integer(min: number, max: number): Check<number> {
  return (value, key) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ArgumentError(`${key} must be an integer from ${min} to ${max}, got ${describe(value)}`, key);
    }
    return value;
  };
}

/** A timer delay in milliseconds. */
export const checkDelay = integer(0, MAX_DELAY_MS);

/** A count or size of at least `min`. */
export const atLeast = (min: number): Check<number> => integer(min, Number.MAX_SAFE_INTEGER);

const frameMaxRange = integer(0, 0xffffffff);

/** frame_max: a long on the wire, and RabbitMQ refuses anything from 1 to 8191 in tune-ok. */
export const checkFrameMax: Check<number> = (value, key) => {
  const frameMax = frameMaxRange(value, key);
  if (frameMax !== 0 && frameMax < CLIENT_MIN_FRAME_MAX) {
    throw new ArgumentError(
      `${key} ${frameMax} is below ${CLIENT_MIN_FRAME_MAX}, the smallest frame_max RabbitMQ accepts (0 means no limit)`,
      key,
    );
  }
  return frameMax;
};

/**
 * Checks that a string fits an AMQP short string (at most 255 UTF-8 bytes) and returns it.
 * @throws {@link ArgumentError}
 */
export function checkShortString(key: string, value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > 255) throw new ArgumentError(`${key} is ${bytes} UTF-8 bytes long; the limit is 255`, key);
  return value;
}

/**
 * Reads one SASL mechanism name, case-insensitively (`external` is EXTERNAL).
 * @throws {@link ArgumentError}
 */
export function parseAuthMechanism(value: unknown, key: string): AuthMechanism {
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  const found = AUTH_MECHANISMS.find((m) => m === upper);
  if (found === undefined) {
    throw new ArgumentError(`${key} must be one of ${AUTH_MECHANISMS.join(', ')}, got ${describe(value)}`, key);
  }
  return found;
}

/** A non-null, non-array object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkKeys(value: Record<string, unknown>, key: string, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new ArgumentError(`unknown option '${key}.${k}'`, `${key}.${k}`);
  }
}

/** Any string. */
export const checkString: Check<string> = (value, key) => {
  if (typeof value !== 'string') throw new ArgumentError(`${key} must be a string, got ${describe(value)}`, key);
  return value;
};

/** A string whose value never appears in the message. */
export const checkSecret: Check<string> = (value, key) => {
  if (typeof value !== 'string') throw new ArgumentError(`${key} must be a string`, key);
  return value;
};

/** A host name or IP address; brackets around an IPv6 address are dropped. */
export const checkHost: Check<string> = (value, key) => {
  const host = checkString(value, key);
  if (host === '' || /[\s\x00-\x1f\x7f]/.test(host)) {
    throw new ArgumentError(`${key} must be a host name or IP address, got ${describe(value)}`, key);
  }
  return /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
};

/** A string sent as a short string (vhost). */
export const checkShortText: Check<string> = (value, key) => checkShortString(key, checkString(value, key));

/** A non-empty short string (locale). */
export const checkLocale: Check<string> = (value, key) => {
  const locale = checkString(value, key);
  if (locale === '') throw new ArgumentError(`${key} must not be empty`, key);
  return checkShortString(key, locale);
};

/** `{ username, password }` and nothing else. */
export const checkCredentials: Check<{ username: string; password: string }> = (value, key) => {
  if (!isObject(value)) throw new ArgumentError(`${key} must be an object { username, password }`, key);
  checkKeys(value, key, ['username', 'password']);
  return {
    username: checkString(value['username'], `${key}.username`),
    password: checkSecret(value['password'], `${key}.password`),
  };
};

/** One mechanism or a list, case-insensitive; returns the list without repeats. */
export const checkAuthMechanisms: Check<AuthMechanism[]> = (value, key) => {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new ArgumentError(`${key} must name at least one mechanism`, key);
  return [...new Set(list.map((m) => parseAuthMechanism(m, key)))];
};

/** `true`, `false`, or node:tls connection options. */
export const checkTls: Check<boolean | TlsConnectionOptions> = (value, key) => {
  if (typeof value !== 'boolean' && !isObject(value)) {
    throw new ArgumentError(`${key} must be a boolean or node:tls connection options`, key);
  }
  return value;
};

/** A plain object (client properties become a field table). */
export const checkPlainObject: Check<Record<string, unknown>> = (value, key) => {
  if (!isPlainObject(value)) throw new ArgumentError(`${key} must be a plain object`, key);
  return value;
};

/** Socket options the client sets. */
export interface TcpOptions {
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/** `{ noDelay?, keepAlive?, keepAliveInitialDelay? }`. */
export const checkTcp: Check<TcpOptions> = (value, key) => {
  if (!isObject(value)) throw new ArgumentError(`${key} must be an object`, key);
  checkKeys(value, key, ['noDelay', 'keepAlive', 'keepAliveInitialDelay']);
  for (const flag of ['noDelay', 'keepAlive'] as const) {
    const v = value[flag];
    if (v !== undefined && typeof v !== 'boolean') {
      throw new ArgumentError(`${key}.${flag} must be a boolean, got ${describe(v)}`, `${key}.${flag}`);
    }
  }
  const delay = value['keepAliveInitialDelay'];
  // a socket delay has the same bounds as any timer delay
  if (delay !== undefined) checkDelay(delay, `${key}.keepAliveInitialDelay`);
  return value;
};
