/**
 * Reusable pieces of fake-broker scripts: the server half of the handshake and the automatic
 * answers to common synchronous methods.
 * @packageDocumentation
 */
import { METHOD_BY_NAME } from '../../src/methods/codec.js';
import type { Method } from '../../src/methods/types.js';
import {
  connectionStartArgs, DEFAULT_SERVER_TUNE, ServerHandshake, type ServerHandshakeOptions, type ServerHandshakeResult,
} from '../../src/protocol/server-handshake.js';
import type { InboundMethod } from './fake-broker-inbound.js';
import type { FakePeer } from './fake-broker-peer.js';

export { SERVER_CAPABILITIES } from '../../src/protocol/capabilities.js';

/** The tune a fake proposes unless told otherwise: RabbitMQ's limits, heartbeats off. */
export const DEFAULT_TUNE = DEFAULT_SERVER_TUNE;

/** Options of `peer.handshake()`: the server handshake's, plus how the script waits. */
export interface HandshakeOptions extends ServerHandshakeOptions {
  /** ms to wait for each client reply (default 2000). */
  timeout?: number;
  /**
   * After open-ok, answer connection.close with close-ok and end the socket, as a broker does
   * (default true). Turn it off to `expect('connection.close')` in the script.
   */
  answerClose?: boolean;
}

/** The client's side of the handshake as the fake received it. */
export type HandshakeResult = Omit<ServerHandshakeResult, 'tuned'>;

/** connection.start with fake-broker defaults. */
export function sendStart(peer: FakePeer, o: HandshakeOptions = {}): void {
  peer.send(0, 'connection.start', connectionStartArgs(o));
}

/**
 * Run the server half of the handshake (see `FakePeer.handshake`): src/protocol's ServerHandshake
 * decides what to send and which client method comes next; the script pulls exactly that one.
 */
export async function runHandshake(peer: FakePeer, o: HandshakeOptions = {}): Promise<HandshakeResult> {
  const timeout = o.timeout ?? 2000;
  const hs = new ServerHandshake(o, { send: (name, args) => peer.send(0, name, args) });
  hs.start();
  for (;;) {
    const m = await peer.expect(hs.expecting!, { channel: 0, timeout });
    const def = METHOD_BY_NAME.get(m.name)!;
    const done = hs.onMethod({ name: m.name, classId: def.classId, methodId: def.methodId, args: m.args } as Method);
    if (done === null) continue;
    peer.frameMax = done.tuned.frameMax;
    if ((o.openOk ?? true) && (o.answerClose ?? true)) peer.autoReply(['connection.close']);
    return { startOk: done.startOk, secureOks: done.secureOks, tuneOk: done.tuneOk, open: done.open };
  }
}

type Reply<N extends InboundMethod['name']> = (m: InboundMethod<N>, peer: FakePeer) => void;

/** How a broker answers each method `autoReply` knows. */
export const AUTO_REPLIES = {
  'channel.open': ((m, p) => p.send(m.channel, 'channel.open-ok', {})) as Reply<'channel.open'>,
  'channel.close': ((m, p) => p.send(m.channel, 'channel.close-ok', {})) as Reply<'channel.close'>,
  'connection.close': ((_m, p) => {
    p.send(0, 'connection.close-ok', {});
    p.end();
  }) as Reply<'connection.close'>,
  'confirm.select': ((m, p) => {
    if (!m.args.nowait) p.send(m.channel, 'confirm.select-ok', {});
  }) as Reply<'confirm.select'>,
  'basic.qos': ((m, p) => p.send(m.channel, 'basic.qos-ok', {})) as Reply<'basic.qos'>,
  'basic.consume': ((m, p) => {
    if (!m.args.nowait) p.send(m.channel, 'basic.consume-ok', { consumerTag: m.args.consumerTag || p.generateName('amq.ctag') });
  }) as Reply<'basic.consume'>,
  'basic.cancel': ((m, p) => {
    if (!m.args.nowait) p.send(m.channel, 'basic.cancel-ok', { consumerTag: m.args.consumerTag });
  }) as Reply<'basic.cancel'>,
  'queue.declare': ((m, p) => {
    if (!m.args.nowait) p.send(m.channel, 'queue.declare-ok', { queue: m.args.queue || p.generateName('amq.gen'), messageCount: 0, consumerCount: 0 });
  }) as Reply<'queue.declare'>,
  'queue.bind': ((m, p) => {
    if (!m.args.nowait) p.send(m.channel, 'queue.bind-ok', {});
  }) as Reply<'queue.bind'>,
  'exchange.declare': ((m, p) => {
    if (!m.args.nowait) p.send(m.channel, 'exchange.declare-ok', {});
  }) as Reply<'exchange.declare'>,
} as const;

/** Methods `autoReply` can answer. */
export type AutoReplyName = keyof typeof AUTO_REPLIES;
