/**
 * What a protocol session hands its owner: one event per inbound unit, per channel. The client's
 * connection, the test fake broker, the bench's fake broker and the trace proxy all receive these,
 * so a frame is parsed, decoded and assembled by one piece of code whichever side is listening.
 * @packageDocumentation
 */
import type { BasicProperties } from '../frames/properties.js';
import type { BasicDeliverArgs } from '../methods/fast-path.js';
import type { DecodedArgs, Method } from '../methods/types.js';

/**
 * A method that announces content (spec 4.2.6: method, then one header frame, then body frames),
 * with its decoded arguments. basic.deliver comes from the hand-specialised decoder.
 */
export type ContentMethod =
  | { readonly name: 'basic.deliver'; readonly args: BasicDeliverArgs }
  | { readonly name: 'basic.get-ok'; readonly args: DecodedArgs<'basic.get-ok'> }
  | { readonly name: 'basic.return'; readonly args: DecodedArgs<'basic.return'> }
  | { readonly name: 'basic.publish'; readonly args: DecodedArgs<'basic.publish'> };

/** A complete message: the method that announced it, its properties and its whole body. */
export interface Content {
  readonly method: ContentMethod;
  readonly properties: BasicProperties;
  /** The body; a view of the frame it arrived in when it came in one body frame. */
  readonly body: Buffer;
}

/** The receiver of a session's events. Each handler may throw FrameError to fail the connection. */
export interface SessionHandler {
  /** A method frame that announces no content. `key` is `classId << 16 | methodId`. */
  onMethod(channel: number, method: Method, key: number): void;
  /** A content-bearing method once its header and every body frame have arrived. */
  onContent(channel: number, content: Content): void;
  /** A heartbeat frame (always channel 0). */
  onHeartbeat(): void;
}
