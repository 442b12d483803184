/**
 * The wire types a method field can have, and the TypeScript types they map to.
 * @packageDocumentation
 */
import type { FieldTable } from '../frames/field-table.js';

/** AMQP domain types as the spec names them. */
export type FieldType = 'bit' | 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'table' | 'timestamp';

/**
 * One method argument: `[name, type]`, or `[name, type, default]` for an argument that callers may
 * leave out (reserved fields, `nowait`, `arguments`).
 */
export type FieldSpec =
  | readonly [name: string, type: FieldType]
  | readonly [name: string, type: FieldType, defaultValue: unknown];

/** What an encoder accepts for a field of type T. */
export type EncodeValue<T extends FieldType> = T extends 'bit'
  ? boolean
  : T extends 'octet' | 'short' | 'long'
    ? number
    : T extends 'longlong' | 'timestamp'
      ? number | bigint
      : T extends 'shortstr'
        ? string
        : T extends 'longstr'
          ? string | Uint8Array
          : T extends 'table'
            ? FieldTable
            : never;

/** What a decoder returns for a field of type T. longlong above 2^53-1 is a decode error. */
export type DecodeValue<T extends FieldType> = T extends 'bit'
  ? boolean
  : T extends 'octet' | 'short' | 'long' | 'longlong' | 'timestamp'
    ? number
    : T extends 'shortstr'
      ? string
      : T extends 'longstr'
        ? Buffer
        : T extends 'table'
          ? FieldTable
          : never;
