/**
 * connection.tune negotiation (spec 1.4.2.5/6 and RabbitMQ's reading of it).
 * @packageDocumentation
 */
import { FRAME_MIN_SIZE } from '../frames/constants.js';
import { frameError } from '../frames/errors.js';

/** What the client asks for. `heartbeat` undefined means "whatever the server proposes". */
export interface TuneWanted {
  channelMax: number;
  frameMax: number;
  heartbeat: number | undefined;
}

/** The values sent back in tune-ok and used from then on. */
export interface Tuned {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

/**
 * For channel_max and frame_max, 0 means "no limit": if one side says 0 take the other, else the
 * smaller. The result is never 0 when the server named a limit.
 */
export function negotiateLimit(client: number, server: number): number {
  if (client === 0) return server;
  if (server === 0) return client;
  return Math.min(client, server);
}

/**
 * Heartbeat: undefined takes the server's value; 0 turns heartbeats off whatever the server says;
 * otherwise the smaller of the two, or the client's when the server proposes 0.
 */
export function negotiateHeartbeat(client: number | undefined, server: number): number {
  if (client === undefined) return server;
  if (client === 0) return 0;
  if (server === 0) return client;
  return Math.min(client, server);
}

/**
 * Negotiate all three. A server frame_max in 1..4095 is below the spec's minimum: accepting it
 * made one client loop forever splitting bodies into frames too small to carry anything, so it is
 * refused as a 501.
 */
export function negotiateTune(wanted: TuneWanted, server: Tuned): Tuned {
  if (server.frameMax !== 0 && server.frameMax < FRAME_MIN_SIZE) {
    throw frameError(`server proposed frame_max ${server.frameMax}, below the protocol minimum ${FRAME_MIN_SIZE}`);
  }
  return {
    channelMax: negotiateLimit(wanted.channelMax, server.channelMax),
    frameMax: negotiateLimit(wanted.frameMax, server.frameMax),
    heartbeat: negotiateHeartbeat(wanted.heartbeat, server.heartbeat),
  };
}
