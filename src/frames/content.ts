/**
 * Outbound content: a header frame, then the body cut into frames of at most frame_max - 8 bytes.
 * @packageDocumentation
 */
import { FRAME_HEADER_SIZE, FRAME_OVERHEAD, FrameType } from './constants.js';
import { EncodeError } from './errors.js';
import { writeContentHeader, type BasicProperties } from './properties.js';
import { frameEnd, frameHeader, type Writer } from './writer.js';

/**
 * Write the header frame and body frames of one message on `channel`. Body size 0 means no body
 * frames at all (spec 4.2.6.2). The writer's `frameMax` sets the cut; 0 means no limit (one body frame).
 * On an encoding error nothing is left in the writer.
 */
export function writeContent(
  w: Writer, channel: number, classId: number, body: Uint8Array, properties: BasicProperties | undefined,
): void {
  const start = w.pos;
  const frameMax = w.frameMax;
  writeContentHeader(w, channel, classId, body.length, properties);
  const len = body.length;
  if (len === 0) return;
  const chunk = frameMax === 0 ? len : frameMax - FRAME_OVERHEAD;
  if (chunk <= 0) {
    w.rewind(start);
    throw new EncodeError(`frame_max ${frameMax} leaves no room for a body`);
  }
  // One ensure for every body frame, then plain copies.
  w.ensure(len + Math.ceil(len / chunk) * FRAME_OVERHEAD);
  const buf = w.buf;
  let pos = w.pos;
  for (let off = 0; off < len; off += chunk) {
    const n = Math.min(chunk, len - off);
    frameHeader(buf, pos, FrameType.BODY, channel, n);
    buf.set(n === len ? body : body.subarray(off, off + n), pos + FRAME_HEADER_SIZE);
    pos = frameEnd(buf, pos + FRAME_HEADER_SIZE + n);
  }
  w.pos = pos;
}
