/**
 * Counts AMQP frames on a byte stream a test can watch (e.g. a {@link ProxyConnection}'s sockets),
 * without taking part in it: general frames are type(1) channel(2) size(4) payload(size) 0xCE.
 * The client's direction starts with the 8-byte protocol header `AMQP 0 0 9 1`, skipped here.
 */
import type { Readable } from 'node:stream';

/** Frame types of AMQP 0-9-1 (spec 4.2.3; RabbitMQ sends heartbeats as type 8). */
export const FrameType = { method: 1, header: 2, body: 3, heartbeat: 8 } as const;

/** What {@link countFrames} has seen so far. */
export interface FrameCounts {
  /** Frames seen, by frame type. */
  readonly byType: ReadonlyMap<number, number>;
  /** Largest payload seen, by frame type. */
  readonly maxPayload: ReadonlyMap<number, number>;
  /** Frames of `type` seen so far (0 if none). */
  count(type: number): number;
  /** Set when the stream stopped looking like AMQP frames (a bad frame-end byte). */
  readonly error: string | undefined;
}

/** Starts counting the frames `stream` carries from now on. */
export function countFrames(stream: Readable, options: { protocolHeader: boolean }): FrameCounts {
  const byType = new Map<number, number>();
  const maxPayload = new Map<number, number>();
  let skip = options.protocolHeader ? 8 : 0;
  let pending: Buffer = Buffer.alloc(0);
  let error: string | undefined;
  stream.on('data', (chunk: Buffer) => {
    if (error !== undefined) return;
    let data = chunk;
    if (skip > 0) {
      const n = Math.min(skip, data.length);
      skip -= n;
      data = data.subarray(n);
    }
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    let pos = 0;
    while (pending.length - pos >= 7) {
      const size = pending.readUInt32BE(pos + 3);
      if (pending.length - pos < 8 + size) break;
      const type = pending[pos]!;
      if (pending[pos + 7 + size] !== 0xce) {
        error = `a frame of type ${type} and size ${size} does not end in 0xCE`;
        return;
      }
      byType.set(type, (byType.get(type) ?? 0) + 1);
      maxPayload.set(type, Math.max(maxPayload.get(type) ?? 0, size));
      pos += 8 + size;
    }
    pending = pending.subarray(pos);
  });
  return {
    byType,
    maxPayload,
    count: (type) => byType.get(type) ?? 0,
    get error() {
      return error;
    },
  };
}
