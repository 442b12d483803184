/**
 * Large messages: time per body byte from 64 KiB to 16 MiB, encode and decode, in process.
 *
 * performance.md asks for time per byte to stay flat over that range (no quadratic copying). The
 * encode side writes basic.publish + header + body frames cut at frame_max 131072 into a reused
 * Writer; the decode side feeds the same bytes, in 64 KiB socket-sized chunks, through the
 * FrameParser and the client's own ContentAssembler, which gathers a split body into one buffer.
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';
import { ContentAssembler } from '../src/protocol/content-assembler.js';
import { DEFAULT_FRAME_MAX, FrameParser, FrameType, Writer, writeContent, type FrameHandler } from '../src/frames/index.js';
import { encodeBasicPublish } from '../src/methods/index.js';
import { parseBenchArgs } from './lib/args.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { formatBytes, median } from './lib/stats.js';
import { printTable, progress } from './lib/table.js';
import { runFor, warmUp } from './lib/timing.js';

const USAGE = `Usage: node build/bench/large.js [flags]

Time per body byte (ns/byte) of encoding and decoding one message with a large body, at 64 KiB,
256 KiB, 1 MiB, 4 MiB and 16 MiB. Flat rows mean no copying grows faster than the body.`;

const SIZES = [64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024];
const CHUNK = 64 * 1024;

/** One whole publish (method + header + body frames) for a body of `size` bytes. */
function encodeOne(w: Writer, body: Buffer): void {
  w.rewind(0);
  encodeBasicPublish(w, 1, 'x', 'k', false);
  writeContent(w, 1, 60, body, undefined);
}

/** Gathers bodies like a channel does; counts completed messages. */
class Gatherer implements FrameHandler {
  done = 0;
  private readonly assembler = new ContentAssembler<number>(Number.MAX_SAFE_INTEGER);
  onFrame(type: number, _channel: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameType.METHOD) this.assembler.begin(1, 60);
    else if (type === FrameType.HEADER) this.count(this.assembler.header(buf, start, end));
    else if (type === FrameType.BODY) this.count(this.assembler.bodyFrame(buf, start, end));
  }
  private count(m: unknown): void {
    if (m !== null) this.done++;
  }
}

interface Row {
  size: number;
  encodeNsPerByte: number;
  decodeNsPerByte: number;
}

function measure(size: number, timeMs: number, warmupMs: number): Row {
  const body = Buffer.alloc(size, 0xab);
  const w = new Writer(64 * 1024, DEFAULT_FRAME_MAX);
  encodeOne(w, body);
  const wire = Buffer.from(w.buf.subarray(0, w.pos));
  const chunks: Buffer[] = [];
  for (let off = 0; off < wire.length; off += CHUNK) chunks.push(wire.subarray(off, off + CHUNK));
  const encode = (): number => {
    encodeOne(w, body);
    return 1;
  };
  const decode = (): number => {
    const parser = new FrameParser(DEFAULT_FRAME_MAX);
    const g = new Gatherer();
    for (const c of chunks) parser.push(c, g);
    if (g.done !== 1) throw new Error(`decode of ${size} bytes completed ${g.done} messages`);
    return 1;
  };
  warmUp([encode, decode], warmupMs);
  const e = runFor(encode, timeMs);
  const d = runFor(decode, timeMs);
  return { size, encodeNsPerByte: 1e9 / (e.opsPerSec * size), decodeNsPerByte: 1e9 / (d.opsPerSec * size) };
}

function main(): void {
  const { common } = parseBenchArgs(process.argv.slice(2), USAGE, {}, { timeMs: 800, warmupMs: 200, rounds: 3 });
  progress(`machine: ${describeMachine(machineInfo())}`, common.quiet);
  const rows: Row[] = SIZES.map((size) => {
    const rounds: Row[] = [];
    for (let r = 0; r < common.rounds; r++) {
      progress(`${formatBytes(size)} round ${r + 1}/${common.rounds}`, common.quiet);
      rounds.push(measure(size, common.timeMs, common.warmupMs));
    }
    return { size, encodeNsPerByte: median(rounds.map((x) => x.encodeNsPerByte)), decodeNsPerByte: median(rounds.map((x) => x.decodeNsPerByte)) };
  });
  const spread = (k: 'encodeNsPerByte' | 'decodeNsPerByte'): number => {
    const v = rows.map((r) => r[k]);
    return Math.max(...v) / Math.min(...v);
  };
  if (common.json) {
    process.stdout.write(`${JSON.stringify({ rows, encodeSpread: spread('encodeNsPerByte'), decodeSpread: spread('decodeNsPerByte') })}\n`);
    return;
  }
  printTable(['body', 'encode ns/byte', 'decode ns/byte'], rows.map((r) => [
    formatBytes(r.size), r.encodeNsPerByte.toFixed(3), r.decodeNsPerByte.toFixed(3),
  ]));
  console.log(`largest / smallest time per byte: encode ${spread('encodeNsPerByte').toFixed(2)}x, decode ${spread('decodeNsPerByte').toFixed(2)}x (flat is 1x)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
