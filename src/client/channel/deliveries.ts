/**
 * The delivery ledger of one channel: which delivery tags are outstanding (delivered with manual
 * ack and not yet acked, nacked or rejected), and in tx mode which were settled since the last
 * commit or rollback.
 * @packageDocumentation
 */
import { UsageError } from '../errors.js';

/** How a delivery is settled, for error messages. */
export type Settlement = 'ack' | 'nack' | 'reject';

/** Outstanding delivery tags of one channel. */
export class DeliveryLedger {
  /**
   * Kept in ascending tag order (the broker numbers deliveries upwards on a channel, and a rollback
   * re-sorts), so a `multiple` settlement stops at the first tag above its own: its cost is what
   * it settles, not what is outstanding.
   */
  private unacked = new Set<number>();
  private highest = 0;
  /**
   * In tx mode: tags acked, nacked or rejected since the last commit or rollback. A rollback
   * undoes those acknowledgements, so the tags become outstanding again.
   */
  private txSettled: number[] | null = null;

  constructor(private readonly channelId: number) {}

  /** A message was handed out with manual ack: its tag is now outstanding. */
  delivered(deliveryTag: number): void {
    if (deliveryTag <= this.highest) this.unacked = sorted([...this.unacked, deliveryTag]);
    else this.unacked.add(deliveryTag);
    this.highest = Math.max(this.highest, deliveryTag);
  }

  /**
   * Mark tags settled, or throw UsageError: acking a tag twice, a tag never delivered, or one
   * delivered with noAck makes RabbitMQ close the channel with 406 PRECONDITION_FAILED, so it is
   * refused here instead. Tag 0 with `multiple` means "everything outstanding".
   */
  settle(tag: number, multiple: boolean, how: Settlement): void {
    if (!multiple) {
      if (!this.unacked.delete(tag)) {
        throw new UsageError(`basic.${how}: delivery tag ${tag} is not outstanding on channel ${this.channelId} (already settled, delivered with noAck, or unknown)`);
      }
      this.txSettled?.push(tag);
      return;
    }
    const settled: number[] = [];
    for (const t of this.unacked) {
      if (tag !== 0 && t > tag) break;
      settled.push(t);
    }
    if (settled.length === 0) throw new UsageError(`basic.${how}: no outstanding delivery up to tag ${tag} on channel ${this.channelId}`);
    const tx = this.txSettled;
    for (const t of settled) {
      this.unacked.delete(t);
      tx?.push(t);
    }
  }

  /** tx.select went out: remember settlements from now on. */
  txSelected(): void {
    this.txSettled ??= [];
  }

  /** tx.commit-ok: the settlements took effect. */
  txCommitted(): void {
    if (this.txSettled) this.txSettled.length = 0;
  }

  /** tx.rollback-ok: the settlements were undone, the tags are outstanding again. */
  txRolledBack(): void {
    if (this.txSettled === null || this.txSettled.length === 0) return;
    this.unacked = sorted([...this.unacked, ...this.txSettled]);
    this.txSettled.length = 0;
  }

  /**
   * basic.recover-ok: it precedes the redeliveries, which carry new tags, so every earlier tag is
   * void. Also used when the channel ends.
   */
  forgetAll(): void {
    this.unacked.clear();
  }
}

/** The tags as a set in ascending order. */
function sorted(tags: number[]): Set<number> {
  return new Set(tags.sort((a, b) => a - b));
}
