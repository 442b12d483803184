/**
 * Inputs for the frame fuzzer: a seeded random source, a corpus of valid frame traces built with
 * our own encoders, and mutators that damage them the ways a broken or hostile peer would.
 * @packageDocumentation
 */
import { FRAME_END, FrameType } from '../src/frames/constants.js';
import { writeContent } from '../src/frames/content.js';
import { typed, type FieldTable, type FieldValue } from '../src/frames/field-table.js';
import type { BasicProperties } from '../src/frames/properties.js';
import { Writer } from '../src/frames/writer.js';
import { METHODS, type MethodDef } from '../src/methods/definitions.js';
import { encodeMethodDef } from '../src/methods/codec.js';
import { encodeBasicAck, encodeBasicPublish } from '../src/methods/fast-path.js';

/** A small seeded generator (mulberry32): the same seed gives the same inputs. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uint32. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return b;
  }

  /** A length biased to small values: mostly < 8, sometimes up to `max`. */
  len(max: number): number {
    return this.chance(0.7) ? this.int(Math.min(8, max + 1)) : this.int(max + 1);
  }
}

const TEXT_POOL = ['', 'a', 'amq.direct', 'héllo', '😀', 'x'.repeat(255), 'é'.repeat(127), 'tasks', '/', 'ÿ'];

function text(rng: Rng, maxBytes = 255): string {
  if (rng.chance(0.5)) {
    const s = rng.pick(TEXT_POOL);
    if (Buffer.byteLength(s) <= maxBytes) return s;
  }
  const n = rng.len(Math.min(40, maxBytes));
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.9) ? 0x20 + rng.int(95) : 0xa0 + rng.int(0x700));
  return Buffer.byteLength(s) <= maxBytes ? s : '';
}

function fieldValue(rng: Rng, depth: number): FieldValue {
  switch (rng.int(depth > 0 ? 16 : 14)) {
    case 0: return rng.chance(0.5);
    case 1: return rng.int(256) - 128;
    case 2: return rng.int(0x100000000) - 0x80000000;
    case 3: return rng.int(Number.MAX_SAFE_INTEGER) * (rng.chance(0.5) ? 1 : -1);
    case 4: return (rng.u32() - 0x80000000) / 1000;
    case 5: return BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
    case 6: return text(rng);
    case 7: return rng.bytes(rng.len(24));
    case 8: return new Date(rng.int(4e12) * 1000);
    case 9: return null;
    case 10: return typed(rng.pick(['B', 'u', 'i'] as const), rng.int(256));
    case 11: return typed('f', (rng.u32() % 1000) / 8);
    case 12: return typed('D', { scale: rng.int(256), value: rng.u32() });
    case 13: return typed('S', rng.bytes(rng.len(12)));
    case 14: return Array.from({ length: rng.len(5) }, () => fieldValue(rng, depth - 1));
    default: return fieldTable(rng, depth - 1);
  }
}

/** A random table nested up to `depth` levels. */
export function fieldTable(rng: Rng, depth = 2): FieldTable {
  const t: FieldTable = {};
  const n = rng.len(6);
  for (let i = 0; i < n; i++) t[text(rng, 40) || `k${i}`] = fieldValue(rng, depth);
  return t;
}

function fieldArg(rng: Rng, type: string): unknown {
  switch (type) {
    case 'bit': return rng.chance(0.5);
    case 'octet': return rng.int(0x100);
    case 'short': return rng.int(0x10000);
    case 'long': return rng.u32();
    case 'longlong':
    case 'timestamp': return rng.chance(0.5) ? rng.int(1000) : rng.int(Number.MAX_SAFE_INTEGER);
    case 'shortstr': return text(rng);
    case 'longstr': return rng.chance(0.5) ? text(rng) : rng.bytes(rng.len(64));
    default: return fieldTable(rng, 2);
  }
}

function properties(rng: Rng): BasicProperties {
  const p: BasicProperties = {};
  if (rng.chance(0.4)) p.contentType = text(rng);
  if (rng.chance(0.2)) p.contentEncoding = text(rng);
  if (rng.chance(0.4)) p.headers = fieldTable(rng, 2);
  if (rng.chance(0.4)) p.deliveryMode = rng.int(256);
  if (rng.chance(0.2)) p.priority = rng.int(256);
  if (rng.chance(0.3)) p.correlationId = text(rng);
  if (rng.chance(0.3)) p.replyTo = text(rng);
  if (rng.chance(0.2)) p.expiration = text(rng);
  if (rng.chance(0.3)) p.messageId = text(rng);
  if (rng.chance(0.3)) p.timestamp = rng.int(Number.MAX_SAFE_INTEGER);
  if (rng.chance(0.2)) p.type = text(rng);
  if (rng.chance(0.2)) p.userId = text(rng);
  if (rng.chance(0.2)) p.appId = text(rng);
  if (rng.chance(0.1)) p.clusterId = text(rng);
  return p;
}

const DELIVER = METHODS.find((m) => m.name === 'basic.deliver') as MethodDef;

/** Write one random frame group (a method, a whole message, a heartbeat...) into `w`. */
function frameGroup(rng: Rng, w: Writer): void {
  const channel = rng.chance(0.8) ? rng.int(4) : rng.int(0x10000);
  switch (rng.int(6)) {
    case 0: {
      w.ensure(8);
      w.u8(FrameType.HEARTBEAT); w.u16(0); w.u32(0); w.u8(FRAME_END);
      return;
    }
    case 1: { // a delivery: basic.deliver, header, body frames
      const args = { consumerTag: text(rng), deliveryTag: rng.int(1e9), redelivered: rng.chance(0.5), exchange: text(rng), routingKey: text(rng) };
      encodeMethodDef(w, channel, DELIVER, args);
      writeContent(w, channel, 60, rng.bytes(rng.len(300)), properties(rng));
      return;
    }
    case 2:
      encodeBasicPublish(w, channel, text(rng), text(rng), rng.chance(0.5));
      writeContent(w, channel, 60, rng.bytes(rng.len(64)), rng.chance(0.5) ? properties(rng) : undefined);
      return;
    case 3:
      encodeBasicAck(w, channel, rng.int(1e12), rng.chance(0.5));
      return;
    default: {
      const def = rng.pick(METHODS as readonly MethodDef[]);
      const args: Record<string, unknown> = {};
      for (const [name, type] of def.fields) args[name] = fieldArg(rng, type);
      encodeMethodDef(w, channel, def, args);
    }
  }
}

/** Nested arrays `levels` deep inside a connection.start frame: the decoder's depth guard must hold. */
function deepTableFrame(levels: number): Buffer {
  const inner = Buffer.alloc(levels * 5);
  for (let i = 0, at = 0; i < levels; i++, at += 5) {
    inner[at] = 0x41; // 'A'
    inner.writeUInt32BE(inner.length - at - 5, at + 1);
  }
  const table = Buffer.concat([Buffer.of(1, 0x61), inner]);
  const payload = Buffer.concat([Buffer.from('000a000a0009', 'hex'), u32(table.length), table, u32(0), u32(0)]);
  return frame(FrameType.METHOD, 1, payload);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Frame `payload` by hand. */
export function frame(type: number, channel: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(7);
  head[0] = type;
  head.writeUInt16BE(channel & 0xffff, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.of(FRAME_END)]);
}

/** A trace of frames; `valid` when every frame in it must decode. */
export interface Trace {
  bytes: Buffer;
  valid: boolean;
}

/** Find the frame offsets of well-formed bytes. */
export function frameOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 7 <= bytes.length; at += bytes.readUInt32BE(at + 3) + 8) out.push(at);
  return out;
}

/** Build `size` valid traces of 1..8 frame groups each. */
export function buildCorpus(rng: Rng, size: number, frameMax: number): Trace[] {
  const corpus: Trace[] = [];
  const w = new Writer(4096, frameMax);
  for (let i = 0; i < size; i++) {
    const groups = 1 + rng.int(8);
    for (let g = 0; g < groups; g++) frameGroup(rng, w);
    corpus.push({ bytes: Buffer.from(w.flush()), valid: true });
  }
  for (const levels of [64, 65, 66, 1000]) corpus.push({ bytes: deepTableFrame(levels), valid: levels <= 64 });
  return corpus;
}

const INTERESTING_U8 = [0x00, 0x01, 0x02, 0x03, 0x08, 0x41, 0x7f, 0x80, 0xce, 0xfe, 0xff];

/** u32 values that lie about a length: off by one, zero, huge, exactly at or just over the cap. */
function lyingU32(rng: Rng, honest: number, cap: number): number {
  return rng.pick([0, 1, honest - 1, honest + 1, honest * 2, 0x7fffffff, 0x80000000, 0xffffffff, cap - 8, cap - 7, cap, rng.u32(), rng.int(65536)]) >>> 0;
}

/** Damage `input` in place or into a new buffer; returns the result. */
function mutateOnce(rng: Rng, input: Buffer, corpus: readonly Trace[], cap: number): Buffer {
  const n = input.length;
  switch (rng.int(9)) {
    case 0: { // bit flips
      const out = Buffer.from(input);
      for (let i = rng.int(4); i >= 0 && n > 0; i--) out[rng.int(n)]! ^= 1 << rng.int(8);
      return out;
    }
    case 1: { // byte sets
      const out = Buffer.from(input);
      for (let i = rng.int(4); i >= 0 && n > 0; i--) out[rng.int(n)] = rng.chance(0.7) ? rng.pick(INTERESTING_U8) : rng.int(256);
      return out;
    }
    case 2: // truncation
      return input.subarray(0, rng.int(n + 1));
    case 3: { // a frame's size field lies
      const offsets = frameOffsets(input);
      if (offsets.length === 0) return input;
      const at = rng.pick(offsets);
      const out = Buffer.from(input);
      if (at + 7 <= n) out.writeUInt32BE(lyingU32(rng, out.readUInt32BE(at + 3), cap), at + 3);
      return out;
    }
    case 4: { // a length inside a payload lies (table, long string, array)
      if (n < 4) return input;
      const out = Buffer.from(input);
      const at = rng.int(n - 3);
      out.writeUInt32BE(lyingU32(rng, out.readUInt32BE(at), cap), at);
      return out;
    }
    case 5: { // a short-string length octet lies
      if (n === 0) return input;
      const out = Buffer.from(input);
      out[rng.int(n)] = rng.pick([0, 1, 0x7f, 0xfe, 0xff, rng.int(256)]);
      return out;
    }
    case 6: { // splice in part of another trace
      const other = rng.pick(corpus).bytes;
      const a = rng.int(other.length + 1);
      const piece = other.subarray(a, a + rng.int(other.length - a + 1));
      const at = rng.int(n + 1);
      const cut = rng.chance(0.5) ? rng.int(n - at + 1) : 0;
      return Buffer.concat([input.subarray(0, at), piece, input.subarray(at + cut)]);
    }
    case 7: { // duplicate or delete a range
      const a = rng.int(n + 1);
      const b = a + rng.int(Math.min(64, n - a) + 1);
      return rng.chance(0.5)
        ? Buffer.concat([input.subarray(0, b), input.subarray(a, b), input.subarray(b)])
        : Buffer.concat([input.subarray(0, a), input.subarray(b)]);
    }
    default: // damage one frame's payload but keep the framing valid, so the decoders see it
      return reframe(rng, input, corpus, cap);
  }
}

/** Mutate the payload of one frame and frame it again with an honest size. */
function reframe(rng: Rng, input: Buffer, corpus: readonly Trace[], cap: number): Buffer {
  const offsets = frameOffsets(input).filter((at) => at + 8 + input.readUInt32BE(at + 3) <= input.length);
  if (offsets.length === 0) return input;
  const at = rng.pick(offsets);
  const size = input.readUInt32BE(at + 3);
  const payload = input.subarray(at + 7, at + 7 + size);
  let damaged = mutateOnce(rng, payload, corpus, cap);
  if (rng.chance(0.3)) damaged = Buffer.concat([damaged, rng.bytes(rng.len(16))]);
  const type = input[at] === FrameType.HEARTBEAT ? FrameType.METHOD : input[at]!;
  return Buffer.concat([input.subarray(0, at), frame(type, input.readUInt16BE(at + 1), damaged), input.subarray(at + 8 + size)]);
}

/** The next fuzz input: mostly damaged corpus traces, some random bytes and random payloads. */
export function nextInput(rng: Rng, corpus: readonly Trace[], cap: number): Trace {
  const roll = rng.int(100);
  if (roll < 5) return { bytes: rng.bytes(rng.len(64)), valid: false };
  if (roll < 8) return { bytes: Buffer.concat([Buffer.from('AMQP'), rng.bytes(rng.int(8))]), valid: false };
  if (roll < 18) {
    const type = rng.pick([FrameType.METHOD, FrameType.HEADER, FrameType.BODY, FrameType.HEARTBEAT]);
    const prefix = Buffer.from(rng.pick(['000a000a', '003c003c', '003c0000', '0014000a']), 'hex');
    const payload = rng.chance(0.5) ? rng.bytes(rng.len(128)) : Buffer.concat([prefix, rng.bytes(rng.len(64))]);
    return { bytes: frame(type, rng.int(3), payload), valid: false };
  }
  const trace = rng.pick(corpus);
  if (roll < 22) return trace; // unharmed
  let out = trace.bytes;
  for (let i = 1 + rng.int(3); i > 0; i--) out = mutateOnce(rng, out, corpus, cap);
  return { bytes: out, valid: false };
}
