import { describe, expect, it } from 'vitest';
import { negotiateHeartbeat, negotiateLimit, negotiateTune } from '../../../src/protocol/tune.js';
import { expectFrameError } from '../../support/expect-errors.js';

describe('negotiateLimit (channel_max, frame_max)', () => {
  it.each([
    [0, 0, 0],
    [0, 2047, 2047],
    [2047, 0, 2047],
    [100, 2047, 100],
    [65535, 2047, 2047],
    [131072, 8192, 8192],
  ])('client %i, server %i -> %i', (client, server, expected) => {
    expect(negotiateLimit(client, server)).toBe(expected);
  });
});

describe('negotiateHeartbeat', () => {
  it.each<[number | undefined, number, number]>([
    [undefined, 60, 60],
    [undefined, 0, 0],
    [0, 60, 0],
    [0, 0, 0],
    [5, 60, 5],
    [60, 5, 5],
    [5, 0, 5],
  ])('client %s, server %i -> %i', (client, server, expected) => {
    expect(negotiateHeartbeat(client, server)).toBe(expected);
  });
});

describe('negotiateTune', () => {
  it('never answers 0 when the server named a limit', () => {
    const t = negotiateTune({ channelMax: 0, frameMax: 0, heartbeat: undefined }, { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
    expect(t).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 60 });
  });

  it.each([1, 512, 4095])('refuses a server frame_max of %i (below the spec minimum) with 501', (frameMax) => {
    const run = () => negotiateTune({ channelMax: 0, frameMax: 131072, heartbeat: 0 }, { channelMax: 0, frameMax, heartbeat: 0 });
    expectFrameError(run, 501);
  });

  it('accepts the spec minimum 4096 from the server even though it would not offer it', () => {
    const t = negotiateTune({ channelMax: 0, frameMax: 131072, heartbeat: 0 }, { channelMax: 0, frameMax: 4096, heartbeat: 0 });
    expect(t.frameMax).toBe(4096);
  });
});
