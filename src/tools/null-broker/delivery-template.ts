/**
 * Pre-encoded deliveries for the fake broker: one basic.deliver + header + body encoded once,
 * repeated into a block, and copied out with fresh delivery tags for every write. Streaming
 * then costs the fake a memcpy and two 32-bit stores per message, so the client is what limits.
 * @packageDocumentation
 */
import { writeContent } from '../../frames/content.js';
import { Writer } from '../../frames/writer.js';
import { encodeMethod } from '../../methods/codec.js';

/** Deliveries one block holds (and the most one write carries). */
export const DELIVERIES_PER_BLOCK = 256;

/** The frames of one delivery, ready to be stamped with delivery tags. */
export class DeliveryTemplate {
  /** Bytes of one delivery (three frames). */
  readonly size: number;
  private readonly block: Buffer;
  /** Offset of the 8-byte delivery tag inside one delivery. */
  private readonly tagOffset: number;

  constructor(channel: number, consumerTag: string, routingKey: string, bodySize: number, frameMax: number) {
    const w = new Writer(4096, frameMax);
    encodeMethod(w, channel, 'basic.deliver', { consumerTag, deliveryTag: 1, redelivered: false, exchange: '', routingKey });
    writeContent(w, channel, 60, Buffer.alloc(bodySize, 0x62), undefined);
    const one = Buffer.from(w.buf.subarray(0, w.pos));
    this.size = one.length;
    // frame header (7), class + method ids (4), consumer-tag length octet (1), the tag itself.
    this.tagOffset = 7 + 4 + 1 + Buffer.byteLength(consumerTag);
    this.block = Buffer.concat(new Array<Buffer>(DELIVERIES_PER_BLOCK).fill(one));
  }

  /** `k` deliveries (k <= DELIVERIES_PER_BLOCK) tagged `first`, `first + 1`, ... in a buffer of their own. */
  fill(first: number, k: number): Buffer {
    const out = Buffer.allocUnsafe(k * this.size);
    this.block.copy(out, 0, 0, k * this.size);
    for (let i = 0, at = this.tagOffset; i < k; i++, at += this.size) {
      const tag = first + i;
      out.writeUInt32BE(Math.floor(tag / 0x100000000), at);
      out.writeUInt32BE(tag >>> 0, at + 4);
    }
    return out;
  }
}
