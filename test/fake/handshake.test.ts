/**
 * The opening handshake against a scripted broker: SASL rounds, refusals, version mismatch,
 * silence, and what the client announces about itself.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, ConnectionClosedError, TimeoutError } from '../../src/client/errors.js';
import { ProtocolVersionError } from '../../src/frames/errors.js';
import { CLIENT_CAPABILITIES } from '../../src/protocol/capabilities.js';
import { FakeBroker, sendStart, type FakePeer, type HandshakeResult } from '../support/fake-broker.js';
import { expectNoLeakedHandles } from '../support/guards.js';
import { hex } from '../support/hex.js';

let fb: FakeBroker | undefined;
afterEach(async () => {
  await fb?.close();
  fb = undefined;
});

async function startFake(script: (peer: FakePeer) => Promise<void> | void): Promise<FakeBroker> {
  fb = await FakeBroker.start(script);
  return fb;
}

const PASSWORD = 's3cr3t-pässword';

describe('connection.secure', () => {
  it.each([1, 3])('%i secure round(s) before tune: connects, each secure-ok carries the PLAIN response', async (rounds) => {
    let hs: HandshakeResult | undefined;
    const fake = await startFake(async (peer) => {
      hs = await peer.handshake({ secureRounds: rounds });
    });
    const conn = await fake.connect({ username: 'user', password: 'pw' });
    await fake.finished();
    expect(hs!.startOk.mechanism).toBe('PLAIN');
    expect(hs!.secureOks).toHaveLength(rounds);
    for (const ok of hs!.secureOks) expect(ok.response).toEqual(hex`00 75736572 00 7077  # NUL "user" NUL "pw"`);
    expect(conn.tuned).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 0 });
    await conn.close();
  });
});

describe('refusals', () => {
  it.each([
    ['AMQP 0-0-9-0 (an older 0-9 broker)', hex`414d5150 00 00 09 00`],
    ['AMQP 1-1-0-10 (a 0-10 broker)', hex`414d5150 01 01 00 0a`],
  ])('a server answering with %s rejects with ProtocolVersionError', async (_label, header) => {
    const fake = await startFake((peer) => {
      peer.sendRaw(header);
      peer.end();
    });
    const err = await fake.connect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolVersionError);
    expect(Buffer.from((err as ProtocolVersionError).serverHeader)).toEqual(header);
  });

  it('a socket closed after start-ok rejects with AuthenticationError that does not show the password', async () => {
    const fake = await startFake(async (peer) => {
      sendStart(peer);
      await peer.expect('connection.start-ok');
      peer.end();
    });
    const err = await fake.connect({ username: 'alice', password: PASSWORD }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).message).toContain('alice');
    expect((err as AuthenticationError).message).not.toContain(PASSWORD);
    await fake.finished();
  });

  it('connection.close 403 before tune rejects with AuthenticationError, and close-ok is sent', async () => {
    let closeOk = false;
    const fake = await startFake(async (peer) => {
      sendStart(peer);
      await peer.expect('connection.start-ok');
      peer.send(0, 'connection.close', {
        replyCode: 403, replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN', classId: 0, methodId: 0,
      });
      await peer.expect('connection.close-ok', { channel: 0, timeout: 500 });
      closeOk = true;
      peer.end();
    });
    const err = await fake.connect({ password: PASSWORD }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ replyCode: 403, by: 'server' });
    expect((err as Error).message).not.toContain(PASSWORD);
    await fake.finished();
    expect(closeOk).toBe(true);
  });

  it('connection.close 403 after secure rounds is still an AuthenticationError', async () => {
    const fake = await startFake(async (peer) => {
      sendStart(peer);
      await peer.expect('connection.start-ok');
      peer.send(0, 'connection.secure', { challenge: Buffer.from('more') });
      await peer.expect('connection.secure-ok');
      peer.send(0, 'connection.close', { replyCode: 403, replyText: 'ACCESS_REFUSED', classId: 10, methodId: 21 });
      await peer.expect('connection.close-ok', { timeout: 500 });
    });
    await expect(fake.connect()).rejects.toBeInstanceOf(AuthenticationError);
    await fake.finished();
  });

  it('connection.close 530 on connection.open (vhost refused) is a ConnectionClosedError, not an authentication error', async () => {
    const fake = await startFake(async (peer) => {
      await peer.handshake({ openOk: false });
      peer.send(0, 'connection.close', { replyCode: 530, replyText: "NOT_ALLOWED - vhost nope not found", classId: 10, methodId: 40 });
      await peer.expect('connection.close-ok', { timeout: 500 });
    });
    const err = await fake.connect({ vhost: 'nope' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).not.toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ replyCode: 530, methodName: 'connection.open', by: 'server' });
    await fake.finished();
  });

  it('no common SASL mechanism: rejects with AuthenticationError naming both lists, and sends no credentials', async () => {
    let peerRef: FakePeer | undefined;
    const fake = await startFake((peer) => {
      peerRef = peer;
      sendStart(peer, { mechanisms: 'SCRAM-SHA-256 GSSAPI' });
    });
    const err = await fake.connect({ password: PASSWORD }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toContain('SCRAM-SHA-256');
    expect((err as Error).message).toContain('PLAIN');
    await peerRef!.closed;
    expect(peerRef!.methods.map((m) => m.name)).not.toContain('connection.start-ok');
  });
});

describe('silence during the handshake', () => {
  const stages: Array<[string, (peer: FakePeer) => Promise<void> | void]> = [
    ['before connection.start', () => undefined],
    ['after start-ok (no tune)', async (peer) => {
      sendStart(peer);
      await peer.expect('connection.start-ok');
    }],
    ['after connection.open (no open-ok)', async (peer) => {
      await peer.handshake({ openOk: false });
    }],
  ];
  it.each(stages)('%s: TimeoutError once connectionTimeout has passed, socket closed, nothing left running', async (_stage, script) => {
    const fake = await startFake(script);
    const started = performance.now();
    const err = await fake.connect({ connectionTimeout: 300 }).then(() => null, (e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 700); // the 300 ms given, not the 10 s default
    const peer = await fake.peer();
    const closed = await peer.closed;
    expect(closed.at - started).toBeLessThan(300 + 1000);
    await fake.close();
    await expectNoLeakedHandles();
  });
});

describe('what the client announces', () => {
  it('start-ok: product, capabilities of the checklist, connection_name, caller properties, PLAIN and locale', async () => {
    let hs: HandshakeResult | undefined;
    const fake = await startFake(async (peer) => {
      hs = await peer.handshake();
    });
    const conn = await fake.connect({ name: 'billing', clientProperties: { team: 'payments', capabilities: { custom_cap: true } } });
    await fake.finished();
    const props = hs!.startOk.clientProperties;
    expect(props['product']).toBe('amqp-wire');
    expect(typeof props['version']).toBe('string');
    expect(props['connection_name']).toBe('billing');
    expect(props['team']).toBe('payments');
    // The caller's capabilities are merged over the client's own table, not put in its place.
    expect(props['capabilities']).toEqual({ ...CLIENT_CAPABILITIES, custom_cap: true });
    expect(hs!.startOk.mechanism).toBe('PLAIN');
    expect(hs!.startOk.locale).toBe('en_US');
    expect(hs!.open.virtualHost).toBe('/');
    expect(conn.serverProperties['product']).toBe('fake-broker');
    await conn.close();
  });

  it('PLAIN response: NUL user NUL password, UTF-8', async () => {
    let hs: HandshakeResult | undefined;
    const fake = await startFake(async (peer) => {
      hs = await peer.handshake({ mechanisms: 'AMQPLAIN PLAIN' });
    });
    const conn = await fake.connect({ username: 'ü', password: 'pä' });
    expect(hs!.startOk.mechanism).toBe('PLAIN');
    expect(hs!.startOk.response).toEqual(hex`00 c3bc 00 70 c3a4  # NUL "ü" NUL "pä"`);
    await conn.close();
  });

  it('AMQPLAIN response: LOGIN and PASSWORD table entries without the table length', async () => {
    let hs: HandshakeResult | undefined;
    const fake = await startFake(async (peer) => {
      hs = await peer.handshake({ mechanisms: 'AMQPLAIN' });
    });
    const conn = await fake.connect({ username: 'user', password: 'pw' });
    expect(hs!.startOk.mechanism).toBe('AMQPLAIN');
    expect(hs!.startOk.response).toEqual(hex`
      05 4c4f47494e              # key "LOGIN"
      53 00000004 75736572       # 'S' long string "user"
      08 50415353574f5244        # key "PASSWORD"
      53 00000002 7077           # 'S' long string "pw"
    `);
    await conn.close();
  });

  it('EXTERNAL response is empty, and chosen only when asked for', async () => {
    const seen: HandshakeResult[] = [];
    const fake = await startFake(async (peer) => {
      seen.push(await peer.handshake({ mechanisms: 'EXTERNAL PLAIN' }));
    });
    const external = await fake.connect({ authMechanism: 'EXTERNAL' });
    const plain = await fake.connect();
    await fake.finished();
    expect(seen[0]!.startOk.mechanism).toBe('EXTERNAL');
    expect(seen[0]!.startOk.response).toHaveLength(0);
    expect(seen[1]!.startOk.mechanism).toBe('PLAIN');
    await Promise.all([external.close(), plain.close()]);
  });
});
