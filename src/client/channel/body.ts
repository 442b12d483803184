/**
 * Message bodies: what `basicPublish` and `publishConfirmed` accept, turned into the bytes that go
 * on the wire.
 * @packageDocumentation
 */
import { EncodeError } from '../../frames/errors.js';

/**
 * A message body: a string (sent as UTF-8), bytes (`Uint8Array`, `Buffer`), any other
 * `ArrayBufferView` (all of its bytes, whatever its element size) or an `ArrayBuffer`.
 */
export type Body = string | Uint8Array | ArrayBufferView | ArrayBuffer;

/**
 * The bytes of `body`, without a copy when it already is bytes. Anything else is refused with
 * EncodeError: a number or a plain object would otherwise go out as an empty message, and
 * `Buffer.from(new Uint16Array(...))` would keep one byte per element.
 */
export function bodyBytes(body: Body, method: string): Uint8Array {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body;
  throw new EncodeError(`${method}: body must be a string, Uint8Array/Buffer, ArrayBufferView or ArrayBuffer, got ${got}`);
}
