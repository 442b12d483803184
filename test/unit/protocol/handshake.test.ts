/**
 * Both halves of the opening handshake, pure, wired to each other through the real codec: what
 * one side sends is encoded, parsed by a Session of the other role and fed to the other side.
 */
import { describe, expect, it } from 'vitest';
import { FrameError } from '../../../src/frames/errors.js';
import { Writer } from '../../../src/frames/writer.js';
import { encodeMethod } from '../../../src/methods/codec.js';
import type { Method, MethodArgs, MethodName } from '../../../src/methods/types.js';
import { CLIENT_CAPABILITIES, SERVER_CAPABILITIES } from '../../../src/protocol/capabilities.js';
import { Handshake, type ClientHandshakeOptions, type HandshakeResult } from '../../../src/protocol/client-handshake.js';
import { ServerHandshake, type ServerHandshakeOptions, type ServerHandshakeResult } from '../../../src/protocol/server-handshake.js';
import { Session } from '../../../src/protocol/session.js';
import type { Tuned } from '../../../src/protocol/tune.js';

const CLIENT: ClientHandshakeOptions = {
  username: 'user', password: 'pw', vhost: '/v', locale: 'en_US', authMechanisms: ['AMQPLAIN', 'PLAIN'],
  channelMax: 0, frameMax: 65536, heartbeat: undefined, clientProperties: { connection_name: 'test' },
};

/** Run both sides to the end; returns each side's result and what the client applied on tune. */
function handshake(server: ServerHandshakeOptions, client: ClientHandshakeOptions = CLIENT) {
  const toClient: Buffer[] = [];
  const toServer: Buffer[] = [Buffer.from('AMQP\u0000\u0000\u0009\u0001', 'latin1')];
  const frame = <N extends MethodName>(out: Buffer[], name: N, args: MethodArgs<N>): void => {
    const w = new Writer(256);
    encodeMethod(w, 0, name, args);
    out.push(w.flush());
  };
  let clientDone: HandshakeResult | null = null;
  let serverDone: ServerHandshakeResult | null = null;
  let applied: Tuned | null = null;
  const c = new Handshake(client, { send: (n, a) => frame(toServer, n, a), onTuned: (t) => { applied = t; } });
  const s = new ServerHandshake(server, { send: (n, a) => frame(toClient, n, a) });
  const listener = (on: (m: Method) => void) => ({ onMethod: (_ch: number, m: Method) => on(m), onContent() {}, onHeartbeat() {} });
  const clientSession = new Session(listener((m) => { clientDone ??= c.onMethod(m); }), { role: 'client', maxBodySize: 0 });
  const serverSession = new Session(listener((m) => { serverDone ??= s.onMethod(m); }), { role: 'server', maxBodySize: 0, onProtocolHeader: () => s.start() });
  for (let i = 0; i < 20 && (toClient.length > 0 || toServer.length > 0); i++) {
    for (const b of toServer.splice(0)) serverSession.push(b);
    for (const b of toClient.splice(0)) clientSession.push(b);
  }
  return { client: clientDone as HandshakeResult | null, server: serverDone as ServerHandshakeResult | null, applied: applied as Tuned | null };
}

describe('client and server handshakes against each other', () => {
  it('negotiates tune, authenticates with the first shared mechanism and opens the vhost', () => {
    const { client, server, applied } = handshake({ tune: { channelMax: 100, frameMax: 131072, heartbeat: 30 } });
    expect(client).toMatchObject({ mechanism: 'AMQPLAIN', tuned: { channelMax: 100, frameMax: 65536, heartbeat: 30 } });
    expect(client!.serverProperties['capabilities']).toEqual(SERVER_CAPABILITIES);
    expect(applied).toEqual(client!.tuned);
    expect(server!.startOk.mechanism).toBe('AMQPLAIN');
    expect(server!.startOk.clientProperties).toMatchObject({ product: 'amqp-wire', connection_name: 'test', capabilities: CLIENT_CAPABILITIES });
    expect(server!.tuneOk).toEqual({ channelMax: 100, frameMax: 65536, heartbeat: 30 });
    expect(server!.tuned.frameMax).toBe(65536);
    expect(server!.open.virtualHost).toBe('/v');
  });

  it('answers each connection.secure round with the same response', () => {
    const { client, server } = handshake({ secureRounds: 2, mechanisms: 'PLAIN' });
    expect(client).not.toBeNull();
    expect(server!.secureOks.map((s) => s.response.toString('latin1'))).toEqual(['\u0000user\u0000pw', '\u0000user\u0000pw']);
  });

  it('frame_max 0 from the client falls back to what the server proposed', () => {
    const { server } = handshake({ tune: { frameMax: 8192 } }, { ...CLIENT, frameMax: 0 });
    expect(server!.tuned.frameMax).toBe(8192);
  });

  it('without open-ok the server is done and the client is still waiting', () => {
    const { client, server } = handshake({ openOk: false });
    expect(server).not.toBeNull();
    expect(client).toBeNull();
  });
});

describe('ServerHandshake', () => {
  it('names the method it waits for, and refuses anything else with 505', () => {
    const sent: string[] = [];
    const s = new ServerHandshake({}, { send: (n) => sent.push(n) });
    expect(s.expecting).toBeNull();
    s.start();
    expect(sent).toEqual(['connection.start']);
    expect(s.expecting).toBe('connection.start-ok');
    const open = { name: 'connection.open', classId: 10, methodId: 40, args: { virtualHost: '/', capabilities: '', insist: false } } as Method;
    const err = (() => { try { s.onMethod(open); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(FrameError);
    expect(err).toMatchObject({ replyCode: 505 });
    expect((err as Error).message).toMatch(/connection.open during the connection handshake, expected connection.start-ok/);
  });
});
