/**
 * Wire constants of AMQP 0-9-1 (spec section 4.2 and the `constants` of the machine-readable spec).
 * @packageDocumentation
 */

/** Frame type octets (spec 4.2.3). */
export const FrameType = {
  METHOD: 1,
  HEADER: 2,
  BODY: 3,
  HEARTBEAT: 8,
} as const;
/** One of the four frame types. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Every frame ends with this octet; anything else is a framing error (501). */
export const FRAME_END = 0xce;
/** type(1) + channel(2) + size(4). */
export const FRAME_HEADER_SIZE = 7;
/** Header plus frame-end: the bytes a frame adds around its payload. */
export const FRAME_OVERHEAD = 8;
/** The spec's minimum frame size. RabbitMQ 4.1 refuses anything below 8192, so we never offer less. */
export const FRAME_MIN_SIZE = 4096;
/** The smallest frame_max amqp-wire will negotiate. */
export const CLIENT_MIN_FRAME_MAX = 8192;
/** frame_max offered when the caller does not choose one (RabbitMQ's own default). */
export const DEFAULT_FRAME_MAX = 131072;
/** Inbound cap on a frame's declared size before tune has fixed frame_max. */
export const DEFAULT_INBOUND_FRAME_CAP = 64 * 1024 * 1024;

/** `AMQP` 0 0 9 1: the protocol header a client sends first. */
export const PROTOCOL_HEADER: Readonly<Uint8Array> = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1);

/** Reply codes (spec constants), with RabbitMQ's use of them. */
export const ReplyCode = {
  REPLY_SUCCESS: 200,
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;
/** A numeric reply code. */
export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode];

const REPLY_NAMES = new Map<number, string>(
  Object.entries(ReplyCode).map(([name, code]) => [code, name]),
);

/** `NOT_FOUND` for 404, `UNKNOWN_REPLY_CODE_999` for codes the spec does not name. */
export function replyCodeName(code: number): string {
  return REPLY_NAMES.get(code) ?? `UNKNOWN_REPLY_CODE_${code}`;
}

/** Soft errors close a channel; everything else at 300+ closes the connection (spec 1.4.2). */
export function isSoftError(code: number): boolean {
  return code === 311 || code === 312 || code === 313 || code === 403 || code === 404 || code === 405 || code === 406;
}
