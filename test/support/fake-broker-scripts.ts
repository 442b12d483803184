/**
 * Reusable pieces of fake-broker scripts: the server half of the handshake and the automatic
 * answers to common synchronous methods.
 * @packageDocumentation
 */
import type { FieldTable } from '../../src/frames/field-table.js';
import type { DecodedArgs } from '../../src/methods/types.js';
import type { InboundMethod } from './fake-broker-inbound.js';
import type { FakePeer } from './fake-broker-peer.js';

/** What a RabbitMQ 3.x/4.x announces in server_properties.capabilities. */
export const SERVER_CAPABILITIES: FieldTable = {
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
  direct_reply_to: true,
};

/** The tune a fake proposes unless told otherwise: RabbitMQ's limits, heartbeats off. */
export const DEFAULT_TUNE = { channelMax: 2047, frameMax: 131072, heartbeat: 0 } as const;

/** Options of `peer.handshake()`. */
export interface HandshakeOptions {
  serverProperties?: FieldTable;
  /** Space-separated SASL mechanisms offered. Default `PLAIN AMQPLAIN`. */
  mechanisms?: string;
  locales?: string;
  /** connection.secure rounds before tune. Default 0. */
  secureRounds?: number;
  /** Challenge sent in each connection.secure. */
  challenge?: Uint8Array;
  /** connection.tune values; missing ones come from DEFAULT_TUNE. */
  tune?: { channelMax?: number; frameMax?: number; heartbeat?: number };
  /** Send connection.open-ok at the end (default true). */
  openOk?: boolean;
  /** ms to wait for each client reply (default 2000). */
  timeout?: number;
  /**
   * After open-ok, answer connection.close with close-ok and end the socket, as a broker does
   * (default true). Turn it off to `expect('connection.close')` in the script.
   */
  answerClose?: boolean;
}

/** The client's side of the handshake as the fake received it. */
export interface HandshakeResult {
  startOk: DecodedArgs<'connection.start-ok'>;
  secureOks: Array<DecodedArgs<'connection.secure-ok'>>;
  tuneOk: DecodedArgs<'connection.tune-ok'>;
  open: DecodedArgs<'connection.open'>;
}

/** connection.start with fake-broker defaults. */
export function sendStart(peer: FakePeer, o: HandshakeOptions = {}): void {
  peer.send(0, 'connection.start', {
    versionMajor: 0,
    versionMinor: 9,
    serverProperties: o.serverProperties ?? { product: 'fake-broker', version: '0.0.0', capabilities: SERVER_CAPABILITIES },
    mechanisms: o.mechanisms ?? 'PLAIN AMQPLAIN',
    locales: o.locales ?? 'en_US',
  });
}

/** Run the server half of the handshake (see `FakePeer.handshake`). */
export async function runHandshake(peer: FakePeer, o: HandshakeOptions = {}): Promise<HandshakeResult> {
  const timeout = o.timeout ?? 2000;
  sendStart(peer, o);
  const startOk = (await peer.expect('connection.start-ok', { channel: 0, timeout })).args;
  const secureOks: HandshakeResult['secureOks'] = [];
  for (let i = 0; i < (o.secureRounds ?? 0); i++) {
    peer.send(0, 'connection.secure', { challenge: o.challenge ?? Buffer.from(`challenge ${i + 1}`) });
    secureOks.push((await peer.expect('connection.secure-ok', { channel: 0, timeout })).args);
  }
  const tune = { ...DEFAULT_TUNE, ...o.tune };
  peer.send(0, 'connection.tune', tune);
  const tuneOk = (await peer.expect('connection.tune-ok', { channel: 0, timeout })).args;
  peer.frameMax = tuneOk.frameMax || tune.frameMax || DEFAULT_TUNE.frameMax;
  const open = (await peer.expect('connection.open', { channel: 0, timeout })).args;
  if (o.openOk ?? true) {
    peer.send(0, 'connection.open-ok', {});
    if (o.answerClose ?? true) peer.autoReply(['connection.close']);
  }
  return { startOk, secureOks, tuneOk, open };
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
