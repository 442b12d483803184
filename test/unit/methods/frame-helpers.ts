/**
 * Small glue for the method tests: encode one method by name into fresh bytes, and split bytes into
 * frames with the real FrameParser.
 */
import { FrameParser } from '../../../src/frames/parser.js';
import { Writer } from '../../../src/frames/writer.js';
import { encodeMethod } from '../../../src/methods/codec.js';
import type { MethodArgs, MethodName } from '../../../src/methods/types.js';

/** One frame as the parser hands it out: the payload is `buf[start, end)`. */
export interface ParsedFrame {
  type: number;
  channel: number;
  buf: Buffer;
  start: number;
  end: number;
}

/** Encode `name` with loosely typed `args` (tests build args from the table at run time). */
export function encodeByName(w: Writer, channel: number, name: string, args: Record<string, unknown>): void {
  encodeMethod(w, channel, name as MethodName, args as MethodArgs<MethodName>);
}

/** The bytes of one method frame. */
export function methodFrame(channel: number, name: string, args: Record<string, unknown>, initialSize = 64): Buffer {
  const w = new Writer(initialSize);
  encodeByName(w, channel, name, args);
  return Buffer.from(w.flush());
}

/** Parse `bytes`, fed in the given chunk sizes (the rest in one piece), into frames. */
export function parseFrames(bytes: Buffer, cuts: readonly number[] = []): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  const parser = new FrameParser();
  const handler = {
    onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
      frames.push({ type, channel, buf, start, end });
    },
  };
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    parser.push(bytes.subarray(at, cut), handler);
    at = cut;
  }
  parser.push(bytes.subarray(at), handler);
  if (parser.midFrame) throw new Error(`bytes end inside a frame (${bytes.length} bytes)`);
  return frames;
}

/** Parse bytes that must hold exactly one frame. */
export function onlyFrame(bytes: Buffer, cuts: readonly number[] = []): ParsedFrame {
  const frames = parseFrames(bytes, cuts);
  if (frames.length !== 1) throw new Error(`expected one frame, got ${frames.length}`);
  return frames[0]!;
}
