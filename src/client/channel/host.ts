/**
 * What a channel needs from its connection, and the per-call options every synchronous channel
 * operation takes.
 * @packageDocumentation
 */
import type { Writer } from '../../frames/writer.js';

/** What a channel needs from its connection; `Connection` implements it. */
export interface ChannelHost {
  readonly writer: Writer;
  /** Ask for the writer to be flushed to the socket at the end of this tick. */
  scheduleFlush(): void;
  /** True while buffered output is above the high-water mark. */
  readonly writeBlocked: boolean;
  readonly rpcTimeout: number;
  readonly closeTimeout: number;
  readonly maxMessageSize: number;
  readonly maxConfirmsInFlight: number;
  /** channel.close is going out: from now on only close and close-ok count on this channel. */
  discardInbound(id: number): void;
  /** close-ok received: the id may be handed out again. */
  releaseChannel(id: number): void;
}

/** Per-call options for every synchronous operation. */
export interface CallOptions {
  /** ms; defaults to the connection's rpcTimeout. 0: wait forever. */
  timeout?: number;
  /** Abort the call; aborting after it was sent closes the channel (its reply is still coming). */
  signal?: AbortSignal;
}
