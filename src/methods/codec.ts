/**
 * Generic encoder and decoder for every method in the table, driven by its field list.
 *
 * Bits are the one layout rule that is not field-by-field: consecutive bit fields share octets,
 * least significant bit first, and any other field type ends the run (spec 4.2.5.2).
 * @packageDocumentation
 */
import { FrameType, ReplyCode } from '../frames/constants.js';
import { EncodeError, FrameError, locateEncodeError, syntaxError } from '../frames/errors.js';
import { readTable, writeTable, type FieldTable } from '../frames/field-table.js';
import { Reader } from '../frames/reader.js';
import type { Writer } from '../frames/writer.js';
import { CLASS_NAMES, METHODS, methodKey, type MethodDef } from './definitions.js';
import type { FieldSpec } from './fields.js';
import type { Method, MethodArgs, MethodName } from './types.js';

/** Method definitions by `classId << 16 | methodId`. */
export const METHOD_BY_KEY: ReadonlyMap<number, MethodDef> = new Map(METHODS.map((m) => [m.key, m as MethodDef]));
/** Method definitions by `class.method` name. */
export const METHOD_BY_NAME: ReadonlyMap<string, MethodDef> = new Map(METHODS.map((m) => [m.name, m as MethodDef]));

/** The definition of a method by name. */
export function methodDef(name: MethodName): MethodDef {
  return METHOD_BY_NAME.get(name)!;
}

/** `queue.declare` for (50, 10); `unknown(50.99)` for ids not in the table. */
export function methodName(classId: number, methodId: number): string {
  return METHOD_BY_KEY.get(methodKey(classId, methodId))?.name ?? `${CLASS_NAMES.get(classId) ?? classId}.${methodId}`;
}

function checkInt(v: unknown, max: number, name: string, method: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new EncodeError(`${method}: ${name} must be an integer 0..${max}, got ${String(v)}`, { method, field: name });
  }
  return v;
}

function writeField(w: Writer, type: FieldSpec[1], v: unknown, name: string, method: string): void {
  switch (type) {
    case 'octet': return w.u8(checkInt(v, 0xff, name, method));
    case 'short': return w.u16(checkInt(v, 0xffff, name, method));
    case 'long': return w.u32(checkInt(v, 0xffffffff, name, method));
    case 'longlong':
    case 'timestamp':
      if (typeof v === 'bigint') return w.u64(v);
      return w.u64(checkInt(v, Number.MAX_SAFE_INTEGER, name, method));
    case 'shortstr':
      if (typeof v !== 'string') throw new EncodeError(`${method}: ${name} must be a string, got ${typeof v}`, { method, field: name });
      return w.shortstr(v, name, method);
    case 'longstr':
      if (typeof v !== 'string' && !(v instanceof Uint8Array)) {
        throw new EncodeError(`${method}: ${name} must be a string or Uint8Array, got ${typeof v}`, { method, field: name });
      }
      return w.longstr(v);
    case 'table':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw new EncodeError(`${method}: ${name} must be a field table object`, { method, field: name });
      }
      return writeTable(w, v as FieldTable);
    case 'bit':
      throw new EncodeError('bit fields are packed by encodeMethod');
  }
}

/** Write a method's class id, method id and arguments (the frame payload). */
export function writeMethodPayload(w: Writer, def: MethodDef, args: Record<string, unknown>): void {
  w.u16(def.classId);
  w.u16(def.methodId);
  let bitAt = -1;
  let bit = 8;
  for (const field of def.fields) {
    const name = field[0];
    let v = args[name];
    if (v === undefined && field.length === 3) v = field[2];
    if (field[1] === 'bit') {
      // Checked like every other type: a missing flag or a truthy string must not become a bit silently.
      if (v === undefined) throw new EncodeError(`${def.name}: missing argument ${name}`, { method: def.name, field: name });
      if (typeof v !== 'boolean') throw new EncodeError(`${def.name}: ${name} must be a boolean, got ${typeof v}`, { method: def.name, field: name });
      if (bit === 8) {
        bitAt = w.pos;
        w.u8(0);
        bit = 0;
      }
      if (v) w.buf[bitAt]! |= 1 << bit;
      bit++;
      continue;
    }
    bit = 8;
    if (v === undefined) throw new EncodeError(`${def.name}: missing argument ${name}`, { method: def.name, field: name });
    try {
      writeField(w, field[1], v, name, def.name);
    } catch (e) {
      // The writer's own range errors (u64, longstr) know neither method nor field.
      throw locateEncodeError(e, def.name, name);
    }
  }
}

/**
 * Write a whole method frame for `name` on `channel`. On any error the writer is left as it was
 * and an EncodeError says which argument is wrong.
 */
export function encodeMethod<N extends MethodName>(w: Writer, channel: number, name: N, args: MethodArgs<N>): void {
  const def = METHOD_BY_NAME.get(name);
  if (def === undefined) throw new EncodeError(`unknown method ${String(name)}`);
  encodeMethodDef(w, channel, def, args as Record<string, unknown>);
}

/** `encodeMethod` for a definition already looked up. */
export function encodeMethodDef(w: Writer, channel: number, def: MethodDef, args: Record<string, unknown>): void {
  const start = w.startFrame(FrameType.METHOD, channel);
  try {
    writeMethodPayload(w, def, args);
    w.endFrame(start);
  } catch (e) {
    w.rewind(start);
    if (e instanceof RangeError) throw new EncodeError(`${def.name}: ${e.message}`, { method: def.name }, { cause: e });
    throw locateEncodeError(e, def.name);
  }
}

function readField(r: Reader, type: FieldSpec[1]): unknown {
  switch (type) {
    case 'octet': return r.u8();
    case 'short': return r.u16();
    case 'long': return r.u32();
    case 'longlong':
    case 'timestamp': return r.u64();
    case 'shortstr': return r.shortstr();
    case 'longstr': return r.longstrBytes();
    case 'table': return readTable(r);
    case 'bit': return false;
  }
}

/**
 * Decode a method frame payload `buf[start, end)`. Unknown class or method ids are 503
 * COMMAND_INVALID; truncation, bad UTF-8 and trailing bytes are 502 SYNTAX_ERROR.
 */
export function decodeMethod(buf: Buffer, start: number, end: number): Method {
  if (end - start < 4) throw syntaxError(`method frame of ${end - start} bytes has no class and method id`);
  const classId = buf.readUInt16BE(start);
  const methodId = buf.readUInt16BE(start + 2);
  const def = METHOD_BY_KEY.get(methodKey(classId, methodId));
  if (def === undefined) {
    throw new FrameError(ReplyCode.COMMAND_INVALID, `unknown method ${methodName(classId, methodId)} (class ${classId}, method ${methodId})`);
  }
  const r = new Reader(buf, start + 4, end);
  const args: Record<string, unknown> = {};
  let bits = 0;
  let bit = 8;
  for (const field of def.fields) {
    if (field[1] === 'bit') {
      if (bit === 8) {
        bits = r.u8();
        bit = 0;
      }
      args[field[0]] = (bits & (1 << bit)) !== 0;
      bit++;
      continue;
    }
    bit = 8;
    args[field[0]] = readField(r, field[1]);
  }
  if (r.pos !== end) throw syntaxError(`${def.name} has ${end - r.pos} bytes after its last argument`);
  return { name: def.name, classId, methodId, args } as Method;
}
