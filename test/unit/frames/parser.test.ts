import { afterEach, describe, expect, it, vi } from 'vitest';
import { AMQPError, FrameError, ProtocolVersionError } from '../../../src/frames/errors.js';
import { FrameParser, type FrameHandler } from '../../../src/frames/parser.js';
import { parseFrames } from '../../support/arbitraries.js';
import { hex } from '../../support/hex.js';

/** The ways a test feeds bytes: all at once, one byte per read, or headers cut over three reads. */
const CUTS = {
  whole: (b: Buffer): Buffer[] => [b],
  bytewise: (b: Buffer): Buffer[] => [...b].map((x) => Buffer.of(x)),
  threeReads: (b: Buffer): Buffer[] => [b.subarray(0, 2), b.subarray(2, 5), b.subarray(5)],
} as const;

/** Feed `chunks` and return the error the parser threw (or fail). */
function parseError(chunks: Buffer[], parser = new FrameParser()): AMQPError {
  try {
    parseFrames(chunks, parser);
  } catch (e) {
    expect(e).toBeInstanceOf(AMQPError);
    return e as AMQPError;
  }
  throw new Error('expected the parser to throw');
}

function expectFrameError(chunks: Buffer[], code: number, message: RegExp, parser?: FrameParser): void {
  const e = parseError(chunks, parser);
  expect(e).toBeInstanceOf(FrameError);
  expect((e as FrameError).replyCode).toBe(code);
  expect(e.message).toMatch(message);
}

const heartbeat = hex`08 0000 00000000 ce`;

describe('FrameParser: good input', () => {
  it('reads a heartbeat and a method frame', () => {
    const frames = parseFrames([Buffer.concat([heartbeat, hex`01 0001 00000004 000a 000b ce`])]);
    expect(frames).toEqual([
      { type: 8, channel: 0, payload: Buffer.alloc(0) },
      { type: 1, channel: 1, payload: hex`000a000b` },
    ]);
  });

  it('hands out a frame that lies whole in a chunk as a view of that chunk', () => {
    const chunk = hex`03 0002 00000003 616263 ce  03 0002 00000001 7a ce`;
    const seen: Array<[Buffer, number, number]> = [];
    const handler: FrameHandler = { onFrame: (_t, _c, buf, start, end) => seen.push([buf, start, end]) };
    new FrameParser().push(chunk, handler);
    expect(seen).toEqual([[chunk, 7, 10], [chunk, 18, 19]]);
  });

  it('gathers a split frame into its own buffer that later chunks do not touch', () => {
    const parser = new FrameParser();
    const seen: Buffer[] = [];
    const handler: FrameHandler = { onFrame: (_t, _c, buf, start, end) => seen.push(buf.subarray(start, end)) };
    const a = hex`03 0001 00000004 6162`;
    const b = hex`6364 ce 03 0001 00000001`;
    parser.push(a, handler);
    expect(parser.midFrame).toBe(true);
    parser.push(b, handler);
    parser.push(hex`7a ce`, handler);
    a.fill(0);
    b.fill(0);
    expect(seen.map((s) => s.toString())).toEqual(['abcd', 'z']);
    expect(parser.midFrame).toBe(false);
  });

  it('takes empty chunks anywhere, before the first byte too', () => {
    const bytes = hex`01 0001 00000001 ff ce`;
    const frames = parseFrames([Buffer.alloc(0), bytes.subarray(0, 3), Buffer.alloc(0), bytes.subarray(3), Buffer.alloc(0)]);
    expect(frames).toEqual([{ type: 1, channel: 1, payload: hex`ff` }]);
  });

  it('reads an empty payload of every frame type', () => {
    for (const [name, cut] of Object.entries(CUTS)) {
      const frames = parseFrames(cut(hex`01 0005 00000000 ce  02 0005 00000000 ce  03 0005 00000000 ce`));
      expect(frames.map((f) => [f.type, f.payload.length]), name).toEqual([[1, 0], [2, 0], [3, 0]]);
    }
  });

  it('says when EOF would cut a frame', () => {
    const parser = new FrameParser();
    const handler: FrameHandler = { onFrame: () => undefined };
    expect(parser.midFrame).toBe(false);
    parser.push(hex`08 00`, handler);
    expect(parser.midFrame).toBe(true);
    parser.push(hex`00 00000000`, handler);
    expect(parser.midFrame).toBe(true);
    parser.push(hex`ce`, handler);
    expect(parser.midFrame).toBe(false);
  });
});

describe('FrameParser: malformed frames (R4)', () => {
  for (const [cutName, cut] of Object.entries(CUTS)) {
    describe(`fed ${cutName}`, () => {
      it('refuses a bad frame-end with 501', () => {
        expectFrameError(cut(hex`01 0001 00000002 0000 cd`), 501, /frame-end octet is 0xcd, expected 0xce/);
        expectFrameError(cut(Buffer.concat([heartbeat, hex`08 0000 00000000 00`])), 501, /frame-end octet is 0x00/);
      });

      it('takes a frame of exactly maxFrameSize and refuses one byte more', () => {
        const max = 4096;
        const exact = Buffer.concat([hex`03 0001 00000ff8`, Buffer.alloc(max - 8, 0x61), hex`ce`]);
        expect(exact.length).toBe(max);
        expect(parseFrames(cut(exact), new FrameParser(max))[0]!.payload.length).toBe(max - 8);
        const over = Buffer.concat([hex`03 0001 00000ff9`, Buffer.alloc(max - 7, 0x61), hex`ce`]);
        expectFrameError(cut(over), 501, /frame of 4097 bytes exceeds frame_max 4096/, new FrameParser(max));
      });

      it('refuses unknown frame types with 501', () => {
        for (const type of [0, 4, 5, 7, 9, 0xce, 0xff]) {
          const bytes = Buffer.concat([heartbeat, hex`00 0001 00000000 ce`]);
          bytes[8] = type;
          expectFrameError(cut(bytes), 501, new RegExp(`unknown frame type ${type}$`));
        }
      });

      it('refuses a heartbeat on a channel other than 0', () => {
        expectFrameError(cut(hex`08 0001 00000000 ce`), 501, /heartbeat frame on channel 1/);
        expectFrameError(cut(hex`08 ffff 00000000 ce`), 501, /heartbeat frame on channel 65535/);
      });

      it('refuses a heartbeat with a payload', () => {
        expectFrameError(cut(hex`08 0000 00000001 00 ce`), 501, /heartbeat frame with 1 payload bytes/);
      });

      it('reports a protocol header as a version mismatch', () => {
        const e = parseError(cut(hex`414d5150 00 00 09 01`));
        expect(e).toBeInstanceOf(ProtocolVersionError);
        expect(e.message).toMatch(/server offered AMQP 0-0-9-1/);
        expect([...(e as ProtocolVersionError).serverHeader]).toEqual([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
        const amqp10 = parseError(cut(hex`414d5150 01 01 00 0a  0000`));
        expect(amqp10.message).toMatch(/AMQP 1-1-0-10/);
      });

      it('reads a leading "A" that is not "AMQP" as an unknown frame type', () => {
        expectFrameError(cut(hex`41 0000 00000000 ce`), 501, /unknown frame type 65/);
      });
    });
  }

  it('waits for the whole protocol header before reporting it', () => {
    const parser = new FrameParser();
    const handler: FrameHandler = { onFrame: () => undefined };
    for (const b of hex`414d5150 00 00 09`) parser.push(Buffer.of(b), handler);
    expect(() => parser.push(hex`01`, handler)).toThrow(ProtocolVersionError);
  });

  it('checks the first byte only: "A" later in the stream is an unknown frame type', () => {
    expectFrameError([Buffer.concat([heartbeat, hex`414d5150 00000009 01`])], 501, /unknown frame type 65/);
  });

  it('stays failed after an error, even for good input', () => {
    const parser = new FrameParser();
    const handler: FrameHandler = { onFrame: vi.fn() };
    let first: unknown;
    try {
      parser.push(hex`08 0001 00000000 ce`, handler);
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(FrameError);
    expect(() => parser.push(heartbeat, handler)).toThrow(first as Error);
    expect(() => parser.push(Buffer.alloc(0), handler)).toThrow(first as Error);
    expect(handler.onFrame).not.toHaveBeenCalled();
  });

  it('reports the frames before a bad one, and none after', () => {
    const seen: number[] = [];
    const handler: FrameHandler = { onFrame: (type) => seen.push(type) };
    const parser = new FrameParser();
    expect(() => parser.push(Buffer.concat([heartbeat, hex`09 0000 00000000 ce`, heartbeat]), handler)).toThrow(FrameError);
    expect(seen).toEqual([8]);
  });

  it('applies a new maxFrameSize (after tune) to the next frame', () => {
    const parser = new FrameParser();
    const handler: FrameHandler = { onFrame: () => undefined };
    parser.push(Buffer.concat([hex`03 0001 00002000`, Buffer.alloc(0x2000), hex`ce`]), handler);
    parser.maxFrameSize = 8192;
    expect(() => parser.push(Buffer.concat([hex`03 0001 00002000`, Buffer.alloc(0x2000), hex`ce`]), handler)).toThrow(/8200 bytes exceeds frame_max 8192/);
  });
});

describe('FrameParser: allocation', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('throws on a header declaring 2^32-1 bytes before allocating anything', () => {
    for (const cut of Object.values(CUTS)) {
      const parser = new FrameParser();
      const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
      const alloc = vi.spyOn(Buffer, 'alloc');
      const allocUnsafeSlow = vi.spyOn(Buffer, 'allocUnsafeSlow');
      expectFrameError(cut(hex`03 0001 ffffffff 00`), 501, /frame of 4294967303 bytes exceeds frame_max 67108864/, parser);
      expect(allocUnsafe).not.toHaveBeenCalled();
      expect(alloc).not.toHaveBeenCalled();
      expect(allocUnsafeSlow).not.toHaveBeenCalled();
      vi.restoreAllMocks();
    }
  });

  it('allocates at most the declared size + 1 for a split frame, and never above the cap', () => {
    const parser = new FrameParser(1 << 20);
    const other = new FrameParser(1 << 20);
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const handler: FrameHandler = { onFrame: () => undefined };
    parser.push(hex`03 0001 000ffff8 00`, handler); // exactly the cap: 2^20 - 8 payload bytes
    expect(allocUnsafe).toHaveBeenCalledTimes(1);
    expect(allocUnsafe).toHaveBeenCalledWith((1 << 20) - 7);
    expect(() => parser.push(hex`00`, handler)).not.toThrow();
    allocUnsafe.mockClear();
    expect(() => other.push(hex`03 0001 000ffff9`, handler)).toThrow(FrameError);
    expect(allocUnsafe).not.toHaveBeenCalled();
  });

  it('keeps memory flat while a lying header is refused 1,000 times', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 1000; i++) {
      const parser = new FrameParser();
      expect(() => parser.push(hex`01 0000 7fffffff`, { onFrame: () => undefined })).toThrow(FrameError);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});
