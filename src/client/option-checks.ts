/**
 * Validation of connection options: one check per option, ranges from the wire fields and timer
 * limits, and the shared checks the URL parser uses too.
 * @packageDocumentation
 */
import { CLIENT_MIN_FRAME_MAX } from '../frames/constants.js';
import { ArgumentError } from './errors.js';
import type { AuthMechanism, ConnectionOptions } from './options.js';

const AUTH_MECHANISMS: readonly AuthMechanism[] = ['PLAIN', 'AMQPLAIN', 'EXTERNAL'];

// Node clamps a setTimeout delay above 2^31-1 ms to 1 ms (with a warning): refuse such delays.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Integer range of each numeric option: the wire field's range, or what a timer can hold. */
const NUMBER_RANGES = {
  port: [1, 0xffff],
  channelMax: [0, 0xffff],
  frameMax: [0, 0xffffffff],
  heartbeat: [0, 0xffff],
  connectionAttempts: [1, Number.MAX_SAFE_INTEGER],
  retryDelay: [0, MAX_DELAY_MS],
  socketTimeout: [0, MAX_DELAY_MS],
  connectionTimeout: [0, MAX_DELAY_MS],
  blockedConnectionTimeout: [0, MAX_DELAY_MS],
  closeTimeout: [0, MAX_DELAY_MS],
  rpcTimeout: [0, MAX_DELAY_MS],
  writeHighWaterMark: [1, Number.MAX_SAFE_INTEGER],
  maxMessageSize: [0, Number.MAX_SAFE_INTEGER],
  maxConfirmsInFlight: [1, Number.MAX_SAFE_INTEGER],
} as const satisfies Record<string, readonly [number, number]>;

/** Names of the numeric options. */
export type NumericOption = keyof typeof NUMBER_RANGES;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : typeof value;
}

/**
 * Checks a numeric option against its range and returns it. `label` is the name to blame
 * (`frame_max` when it came from a URL).
 * @throws {@link ArgumentError}
 */
export function checkNumberOption(field: NumericOption, value: unknown, label: string = field): number {
  const [min, max] = NUMBER_RANGES[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ArgumentError(`${label} must be an integer from ${min} to ${max}, got ${describe(value)}`, label);
  }
  if (field === 'frameMax' && value !== 0 && value < CLIENT_MIN_FRAME_MAX) {
    throw new ArgumentError(
      `${label} ${value} is below ${CLIENT_MIN_FRAME_MAX}, the smallest frame_max RabbitMQ accepts (0 means no limit)`,
      label,
    );
  }
  return value;
}

/**
 * Checks that a string fits an AMQP short string (at most 255 UTF-8 bytes) and returns it.
 * @throws {@link ArgumentError}
 */
export function checkShortString(label: string, value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > 255) throw new ArgumentError(`${label} is ${bytes} UTF-8 bytes long; the limit is 255`, label);
  return value;
}

/**
 * Reads one SASL mechanism name, case-insensitively (`external` is EXTERNAL).
 * @throws {@link ArgumentError}
 */
export function parseAuthMechanism(value: unknown, label: string): AuthMechanism {
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  const found = AUTH_MECHANISMS.find((m) => m === upper);
  if (found === undefined) {
    throw new ArgumentError(`${label} must be one of ${AUTH_MECHANISMS.join(', ')}, got ${describe(value)}`, label);
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

function checkString(value: unknown, key: string): string {
  if (typeof value !== 'string') throw new ArgumentError(`${key} must be a string, got ${describe(value)}`, key);
  return value;
}

function checkKeys(value: Record<string, unknown>, key: string, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new ArgumentError(`unknown option '${key}.${k}'`, `${key}.${k}`);
  }
}

type Check = (value: unknown, key: string) => unknown;

const numberCheck =
  (field: NumericOption): Check =>
  (value) =>
    checkNumberOption(field, value);

function checkSecret(value: unknown, key: string): string {
  if (typeof value !== 'string') throw new ArgumentError(`${key} must be a string`, key);
  return value;
}

/** One validator per option; typing it over `keyof ConnectionOptions` forces a check for every field. */
const CHECKS: Record<keyof ConnectionOptions, Check> = {
  url: checkString,
  host: (value, key) => {
    const host = checkString(value, key);
    if (host === '' || /[\s\x00-\x1f\x7f]/.test(host)) {
      throw new ArgumentError(`${key} must be a host name or IP address, got ${describe(value)}`, key);
    }
    return /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
  },
  port: numberCheck('port'),
  vhost: (value, key) => checkShortString(key, checkString(value, key)),
  username: checkString,
  password: checkSecret,
  credentials: (value, key) => {
    if (!isObject(value)) throw new ArgumentError(`${key} must be an object { username, password }`, key);
    checkKeys(value, key, ['username', 'password']);
    return {
      username: checkString(value['username'], `${key}.username`),
      password: checkSecret(value['password'], `${key}.password`),
    };
  },
  authMechanism: (value, key) => {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw new ArgumentError(`${key} must name at least one mechanism`, key);
    return [...new Set(list.map((m) => parseAuthMechanism(m, key)))];
  },
  channelMax: numberCheck('channelMax'),
  frameMax: numberCheck('frameMax'),
  heartbeat: numberCheck('heartbeat'),
  tls: (value, key) => {
    if (typeof value !== 'boolean' && !isObject(value)) {
      throw new ArgumentError(`${key} must be a boolean or node:tls connection options`, key);
    }
    return value;
  },
  connectionAttempts: numberCheck('connectionAttempts'),
  retryDelay: numberCheck('retryDelay'),
  socketTimeout: numberCheck('socketTimeout'),
  connectionTimeout: numberCheck('connectionTimeout'),
  locale: (value, key) => {
    const locale = checkString(value, key);
    if (locale === '') throw new ArgumentError(`${key} must not be empty`, key);
    return checkShortString(key, locale);
  },
  blockedConnectionTimeout: numberCheck('blockedConnectionTimeout'),
  clientProperties: (value, key) => {
    if (!isPlainObject(value)) throw new ArgumentError(`${key} must be a plain object`, key);
    return value;
  },
  name: checkString,
  tcp: (value, key) => {
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
    if (delay !== undefined) checkNumberOption('retryDelay', delay, `${key}.keepAliveInitialDelay`);
    return value;
  },
  closeTimeout: numberCheck('closeTimeout'),
  rpcTimeout: numberCheck('rpcTimeout'),
  writeHighWaterMark: numberCheck('writeHighWaterMark'),
  maxMessageSize: numberCheck('maxMessageSize'),
  maxConfirmsInFlight: numberCheck('maxConfirmsInFlight'),
};

/** Validate every field of a user's options object; unknown keys are errors. */
export function validateObject(raw: unknown, argument: string): ConnectionOptions {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw new ArgumentError(`${argument} must be a URL string or an options object`, argument);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.hasOwn(CHECKS, key)) throw new ArgumentError(`unknown connection option '${key}'`, key);
    if (value !== undefined) out[key] = CHECKS[key as keyof ConnectionOptions](value, key);
  }
  return out as ConnectionOptions;
}

