/**
 * What the trace sees: one {@link TraceEvent} per frame (or per protocol header, decode failure,
 * connection open and close), in the order the bytes crossed the proxy. The decoder fills in what
 * the frame says; the links add what it means in the conversation (notes and flags).
 * @packageDocumentation
 */
import type { BasicProperties } from '../../frames/properties.js';

/** Which way a frame went: client to server, or server to client. */
export type TraceDirection = 'C->S' | 'S->C';

/** The kinds of trace event. */
export type TraceEventKind = 'open' | 'close' | 'protocol-header' | 'method' | 'header' | 'body' | 'heartbeat' | 'decode-error';

/** A completed message body, attached to the body frame that completed it. */
export interface TraceBody {
  /** Total body size in bytes. */
  readonly size: number;
  /** How many body frames carried it. */
  readonly frames: number;
  /** The body bytes (a view; the printer previews the start). */
  readonly bytes: Buffer;
}

/** One thing that crossed the proxy, decoded. */
export interface TraceEvent {
  /** Wall-clock time in milliseconds since the epoch (fractional). */
  readonly time: number;
  /** Connection id, 1-based in order of acceptance. */
  readonly conn: number;
  readonly dir: TraceDirection;
  readonly kind: TraceEventKind;
  /** Channel of the frame (0 for connection-level frames and non-frame events). */
  readonly channel: number;
  /** Bytes on the wire: the whole frame with its 8 bytes of framing, or the protocol header. */
  readonly size: number;
  /** `class.method` of a method frame. */
  readonly name?: string | undefined;
  /** Decoded method arguments. */
  readonly args?: Readonly<Record<string, unknown>> | undefined;
  /** Content header: the announced body size and the properties. */
  readonly bodySize?: number | undefined;
  readonly properties?: BasicProperties | undefined;
  /** Body frame: its payload size, its 1-based index within the message. */
  readonly payload?: number | undefined;
  readonly index?: number | undefined;
  /** Set on the body frame that completes a message. */
  readonly body?: TraceBody | undefined;
  /** Decode failure or close reason text. */
  readonly error?: string | undefined;
  /** The raw frame bytes (only kept when asked for, for `--hex`). */
  readonly raw?: Buffer | undefined;
  /** What the links found: `ack of publish #3 after 1.2 ms`, `round trip 0.8 ms`, ... */
  readonly notes: string[];
  /** Things worth a look: errors, server cancels, returns, unknown tags, oversized frames. */
  readonly flags: string[];
}
