/**
 * TypeScript types derived from the method table, so argument shapes cannot drift from the wire
 * layout.
 * @packageDocumentation
 */
import type { METHODS } from './definitions.js';
import type { DecodeValue, EncodeValue, FieldType } from './fields.js';

type AnyDef = (typeof METHODS)[number];

/** `connection.start`, `queue.declare`, ... every method name. */
export type MethodName = AnyDef['name'];

type DefOf<N extends MethodName> = Extract<AnyDef, { readonly name: N }>;
type FieldsOf<N extends MethodName> = DefOf<N>['fields'][number];

/** The arguments an encoder takes for method N: fields with a default may be left out. */
export type MethodArgs<N extends MethodName> = {
  [F in FieldsOf<N> as F extends readonly [string, FieldType, unknown] ? never : F[0]]: EncodeValue<F[1]>;
} & {
  [F in FieldsOf<N> as F extends readonly [string, FieldType, unknown] ? F[0] : never]?: EncodeValue<F[1]>;
};

/** The arguments a decoder returns for method N: every field present. */
export type DecodedArgs<N extends MethodName> = {
  [F in FieldsOf<N> as F[0]]: DecodeValue<F[1]>;
};

/** A decoded method: discriminate on `name` to get typed `args`. */
export type Method<N extends MethodName = MethodName> = N extends MethodName
  ? { readonly name: N; readonly classId: number; readonly methodId: number; readonly args: DecodedArgs<N> }
  : never;

/** Method names that carry content (publish, return, deliver, get-ok). */
export type ContentMethodName = Extract<AnyDef, { readonly content: true }>['name'];

/** The methods that may answer method N (its definition's `replies`), as decoded methods. */
export type ReplyOf<N extends MethodName> = Method<Extract<DefOf<N>['replies'][number], MethodName>>;
