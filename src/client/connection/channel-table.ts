/**
 * The channels of one connection: numbering, lookup by number for inbound frames, and the notices
 * every channel gets at once (output drained, connection gone).
 * @packageDocumentation
 */
import { UsageError } from '../errors.js';

/** What the table needs of a channel. */
export interface TableEntry {
  readonly id: number;
  /** Buffered output dropped back under the high-water mark. */
  onDrain(): void;
  /** The connection is gone: settle everything with `err`, no close handshake. */
  onConnectionClosed(err: Error): void;
}

/** Channel numbers in use and the channel behind each. */
export class ChannelTable<C extends TableEntry> {
  private readonly byId = new Map<number, C>();
  private nextId = 1;
  /** The negotiated channel_max; 0 means no limit below the protocol's 65535. */
  channelMax = 0;

  /** Channels open or still closing. */
  get size(): number {
    return this.byId.size;
  }

  /** The channel with number `id`, if it is in the table. */
  get(id: number): C | undefined {
    return this.byId.get(id);
  }

  /** Give a channel the lowest free number from a rotating start, and add it. */
  add(make: (id: number) => C): C {
    const ch = make(this.allocate());
    this.byId.set(ch.id, ch);
    return ch;
  }

  /**
   * close-ok arrived: the number is free again. A channel that closed without close-ok keeps
   * its number, so a late close-ok cannot close the next channel given that number.
   */
  release(id: number): void {
    this.byId.delete(id);
  }

  /** Tell every channel that output drained. */
  onDrain(): void {
    for (const ch of this.byId.values()) ch.onDrain();
  }

  /** End every channel with `err`; the table is empty afterwards. */
  closeAll(err: Error): void {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const ch of all) ch.onConnectionClosed(err);
  }

  private allocate(): number {
    const max = this.channelMax === 0 ? 0xffff : this.channelMax;
    for (let i = 0; i < max; i++) {
      const id = ((this.nextId - 1 + i) % max) + 1;
      if (!this.byId.has(id)) {
        this.nextId = (id % max) + 1;
        return id;
      }
    }
    throw new UsageError(`all ${max} channels are in use (channel_max ${this.channelMax})`);
  }
}
