/**
 * Frame codec throughput, in process: no sockets, no broker.
 *
 * encode: basic.publish method frame + content header + body frames into one reused Writer, as a
 *         channel does before handing the buffer to the socket.
 * decode: a pre-encoded stream of basic.deliver + header + body frames, fed to the FrameParser in
 *         socket-sized chunks; the handler decodes the method and the header and takes the body
 *         as a view, as a consumer does.
 *
 * Each at 16 B, 1 KiB and 64 KiB bodies, with no properties ("bare") and with all 14 properties
 * plus a 10-entry headers table ("props"). `--compare` runs amqplib's codec on the same messages
 * in a child process (bench/peers/amqplib-codec.cjs) and prints ratios.
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_FRAME_MAX, FrameParser, FrameType, Writer, decodeContentHeader, writeContent,
  type BasicProperties, type FrameHandler,
} from '../src/frames/index.js';
import { BASIC_DELIVER_KEY, DeliverCache, decodeBasicDeliver, encodeBasicPublish, encodeMethod, type BasicDeliverArgs } from '../src/methods/index.js';
import { parseBenchArgs, type CommonFlags } from './lib/args.js';
import { runJsonChild } from './lib/child.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { bytesKey, formatBytes, formatCount, formatRatio, medianByKey, sig3 } from './lib/stats.js';
import { printTable, progress } from './lib/table.js';
import { runFor, warmUp, yieldToLoop, type Batch } from './lib/timing.js';
import { writeChart, type Series } from '../src/tools/chart/svg.js';

const USAGE = `Usage: node build/bench/codec.js [flags]

Encode/decode throughput of the AMQP frame codec (messages/s and body MiB/s).

  --compare        also run amqplib's codec on the same messages (child process) and print ratios
  --filter <text>  only cases whose name contains text (e.g. 16B, decode, props)
  --chunk <bytes>  socket chunk size the decoder is fed (default 65536)`;

const BASIC_CLASS = 60;
const CHANNEL = 1;
const BODY_SIZES = [16, 1024, 64 * 1024] as const;
/** Bytes one encode batch writes before rewinding the Writer. */
const ENCODE_BATCH_BYTES = 256 * 1024;
/** Size of the pre-encoded delivery stream one decode batch parses. */
const DECODE_STREAM_BYTES = 1 << 20;
const PEER_SCRIPT = fileURLToPath(new URL('../../bench/peers/amqplib-codec.cjs', import.meta.url));
/** Body sizes the amqplib comparison covers. */
const PEER_BODY_SIZES: readonly number[] = [16, 1024];

/** The logical messages, shared with the peer benchmark as JSON so both sides encode the same thing. */
export interface MessageSpec {
  readonly exchange: string;
  readonly routingKey: string;
  readonly consumerTag: string;
  readonly properties: BasicProperties;
  readonly frameMax: number;
  readonly chunkSize: number;
  readonly cases: readonly CaseSpec[];
}

/** One case: operation, body size, properties or not, and how many messages one batch handles. */
export interface CaseSpec {
  readonly name: string;
  readonly op: 'encode' | 'decode';
  readonly bodySize: number;
  readonly props: boolean;
  readonly batch: number;
}

/** All 14 basic properties plus a 10-entry headers table of mixed types. */
const ALL_PROPERTIES: BasicProperties = {
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  headers: {
    'x-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736',
    'x-retry-count': 3,
    'x-origin': 'billing-service',
    'x-priority-class': 1200,
    'x-replayed': false,
    'x-tenant': 'acme-corp',
    'x-first-seen-ms': 1767225600123,
    'x-sample-rate': 0.25,
    'x-schema-version': 70000,
    'x-region': 'eu-west-1',
  },
  deliveryMode: 2,
  priority: 5,
  correlationId: 'c0ffee00-1234-4abc-9def-000000000042',
  replyTo: 'amq.rabbitmq.reply-to',
  expiration: '60000',
  messageId: 'msg-0000000000000042',
  timestamp: 1767225600,
  type: 'order.created',
  userId: 'guest',
  appId: 'amqp-wire-bench',
  clusterId: 'cluster-a',
};

const BASE = {
  exchange: 'bench.exchange',
  routingKey: 'orders.eu.created',
  consumerTag: 'amq.ctag-3kZbS3CfBi1qRwQkQF7B8A',
};

function caseName(op: string, size: number, props: boolean): string {
  return `${op}/${bytesKey(size)}/${props ? 'props' : 'bare'}`;
}

function propsFor(props: boolean): BasicProperties | undefined {
  return props ? ALL_PROPERTIES : undefined;
}

/** Wire bytes of one publish (method + header + body frames). */
function publishBytes(size: number, props: boolean): number {
  const w = new Writer(4096, DEFAULT_FRAME_MAX);
  encodeBasicPublish(w, CHANNEL, BASE.exchange, BASE.routingKey, false);
  writeContent(w, CHANNEL, BASIC_CLASS, Buffer.alloc(size), propsFor(props));
  return w.pos;
}

/** Build the list of cases: an encode batch writes ~256 KiB, a decode batch parses ~1 MiB. */
function buildSpec(filter: string | undefined, chunkSize: number): MessageSpec {
  const cases: CaseSpec[] = [];
  for (const op of ['encode', 'decode'] as const) {
    for (const size of BODY_SIZES) {
      for (const props of [false, true]) {
        const name = caseName(op, size, props);
        if (filter !== undefined && !name.includes(filter)) continue;
        const wire = publishBytes(size, props);
        const batch = op === 'encode'
          ? Math.max(2, Math.floor(ENCODE_BATCH_BYTES / wire))
          : Math.min(20_000, Math.max(16, Math.floor(DECODE_STREAM_BYTES / wire)));
        cases.push({ name, op, bodySize: size, props, batch });
      }
    }
  }
  return { ...BASE, properties: ALL_PROPERTIES, frameMax: DEFAULT_FRAME_MAX, chunkSize, cases };
}

/** A case ready to time. */
interface Runnable {
  readonly spec: CaseSpec;
  /** Wire bytes per message. */
  readonly wireBytes: number;
  readonly batch: Batch;
  /** Throws if the last batch did not do what it should (guards against a bench that measures nothing). */
  readonly check: () => void;
}

class BenchCheckError extends Error {
  override readonly name = 'BenchCheckError';
}

function encodeCase(spec: CaseSpec): Runnable {
  const body = Buffer.alloc(spec.bodySize, 0x78);
  const props = propsFor(spec.props);
  const w = new Writer(2 * ENCODE_BATCH_BYTES, DEFAULT_FRAME_MAX);
  const n = spec.batch;
  const { exchange, routingKey } = BASE;
  const batch = (): number => {
    w.rewind(0);
    for (let i = 0; i < n; i++) {
      encodeBasicPublish(w, CHANNEL, exchange, routingKey, false);
      writeContent(w, CHANNEL, BASIC_CLASS, body, props);
    }
    return n;
  };
  const wireBytes = publishBytes(spec.bodySize, spec.props);
  const check = (): void => {
    batch();
    const frames = countFrames(w.buf.subarray(0, w.pos));
    if (w.pos !== n * wireBytes || frames !== 3 * n) {
      throw new BenchCheckError(`${spec.name}: batch wrote ${w.pos} bytes in ${frames} frames, expected ${n * wireBytes} in ${3 * n}`);
    }
  };
  return { spec, wireBytes, batch, check };
}

function countFrames(bytes: Buffer): number {
  let frames = 0;
  new FrameParser(DEFAULT_FRAME_MAX).push(bytes, { onFrame: () => void frames++ });
  return frames;
}

/** A received message as a consumer sees it. */
interface Delivery {
  readonly fields: BasicDeliverArgs;
  readonly properties: BasicProperties;
  readonly body: Buffer;
}

/** The consumer side of a channel, reduced to what every delivery costs: method, header, body view. */
class DeliveryAssembler implements FrameHandler {
  delivered = 0;
  last: Delivery | null = null;
  private fields: BasicDeliverArgs | null = null;
  private readonly cache = new DeliverCache();
  private properties: BasicProperties = {};
  private bodySize = 0;
  private parts: Buffer[] = [];
  private received = 0;

  onFrame(type: number, _channel: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameType.METHOD) {
      const key = ((buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!) >>> 0;
      if (key !== BASIC_DELIVER_KEY) throw new BenchCheckError('expected basic.deliver');
      // As a channel does: repeated consumer tag, exchange and routing key strings are reused.
      this.fields = decodeBasicDeliver(buf, start, end, this.cache);
    } else if (type === FrameType.HEADER) {
      const h = decodeContentHeader(buf, start, end);
      this.properties = h.properties;
      this.bodySize = h.bodySize;
      this.received = 0;
      if (h.bodySize === 0) this.complete(Buffer.alloc(0));
    } else if (type === FrameType.BODY) {
      const view = buf.subarray(start, end);
      if (this.received === 0 && view.length === this.bodySize) {
        this.complete(view);
        return;
      }
      // A body cut into several frames: gather, then hand over one buffer.
      this.parts.push(view);
      this.received += view.length;
      if (this.received === this.bodySize) {
        const body = Buffer.concat(this.parts, this.bodySize);
        this.parts = [];
        this.complete(body);
      }
    }
  }

  private complete(body: Buffer): void {
    const fields = this.fields!;
    this.last = { fields, properties: this.properties, body };
    this.fields = null;
    this.delivered++;
  }
}

/** The server side: `spec.batch` deliveries of one message, as one byte stream. */
function buildDeliveries(spec: CaseSpec): Buffer {
  const body = Buffer.alloc(spec.bodySize, 0x78);
  const props = propsFor(spec.props);
  const w = new Writer(1 << 20, DEFAULT_FRAME_MAX);
  for (let i = 0; i < spec.batch; i++) {
    encodeMethod(w, CHANNEL, 'basic.deliver', {
      consumerTag: BASE.consumerTag, deliveryTag: i + 1, redelivered: false, exchange: BASE.exchange, routingKey: BASE.routingKey,
    });
    writeContent(w, CHANNEL, BASIC_CLASS, body, props);
  }
  return w.flush();
}

function decodeCase(spec: CaseSpec, chunkSize: number): Runnable {
  const stream = buildDeliveries(spec);
  const parser = new FrameParser(DEFAULT_FRAME_MAX);
  const sink = new DeliveryAssembler();
  const len = stream.length;
  const n = spec.batch;
  const batch = (): number => {
    for (let off = 0; off < len; off += chunkSize) parser.push(stream.subarray(off, off + chunkSize), sink);
    return n;
  };
  const check = (): void => {
    const before = sink.delivered;
    batch();
    const last = sink.last;
    const headers = last?.properties.headers;
    if (sink.delivered - before !== n || last?.body.length !== spec.bodySize || last.fields.deliveryTag !== n
      || (spec.props && (headers === undefined || Object.keys(headers).length !== 10))) {
      throw new BenchCheckError(`${spec.name}: a batch delivered ${sink.delivered - before} of ${n} messages, or the last one is wrong`);
    }
  };
  return { spec, wireBytes: len / n, batch, check };
}

/** Time every case once (after warming all of them up); returns msgs/s by case name. */
async function runOurs(cases: readonly Runnable[], flags: CommonFlags, round: string): Promise<Record<string, number>> {
  progress(`${round}amqp-wire: warming up ${cases.length} cases`, flags.quiet);
  await yieldToLoop();
  warmUp(cases.map((c) => c.batch), flags.warmupMs);
  const out: Record<string, number> = {};
  for (const [i, c] of cases.entries()) {
    c.check();
    // A short re-warm right before timing lets compile jobs and GC work left by earlier cases settle.
    warmUp([c.batch], Math.min(flags.warmupMs, 200));
    const m = runFor(c.batch, flags.timeMs);
    out[c.spec.name] = m.opsPerSec;
    progress(`${round}[${i + 1}/${cases.length}] ${c.spec.name.padEnd(20)} ${formatCount(m.opsPerSec).padStart(7)} msg/s`, flags.quiet);
    await yieldToLoop();
  }
  return out;
}

/** The amqplib child's answer. */
interface PeerResult {
  readonly version: string;
  readonly results: Record<string, number>;
  readonly wireBytes: Record<string, number>;
}

async function runPeer(spec: MessageSpec, flags: CommonFlags, round: string): Promise<PeerResult> {
  const cases = spec.cases.filter((c) => PEER_BODY_SIZES.includes(c.bodySize));
  progress(`${round}amqplib: running ${cases.length} cases in a child process`, flags.quiet);
  const args = ['--spec', JSON.stringify({ ...spec, cases }), '--time', String(flags.timeMs), '--warmup', String(flags.warmupMs)];
  if (flags.quiet) args.push('--quiet');
  return (await runJsonChild(PEER_SCRIPT, args)) as PeerResult;
}

function report(cases: readonly Runnable[], ours: Record<string, number>, peer: PeerResult | null, flags: CommonFlags): void {
  if (flags.json) {
    const out: Record<string, number> = { ...ours };
    if (peer) {
      for (const [k, v] of Object.entries(peer.results)) {
        out[`amqplib/${k}`] = v;
        if (ours[k] !== undefined) out[`ratio/${k}`] = ours[k] / v;
      }
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const rows = cases.map((c) => {
    const rate = ours[c.spec.name] ?? NaN;
    const row = [c.spec.name, formatBytes(c.spec.bodySize), String(Math.round(c.wireBytes)), formatCount(rate),
      sig3((rate * c.spec.bodySize) / 2 ** 20), sig3((rate * c.wireBytes) / 2 ** 20)];
    if (peer) {
      const theirs = peer.results[c.spec.name];
      row.push(theirs === undefined ? '-' : formatCount(theirs), theirs === undefined ? '-' : formatRatio(rate / theirs));
    }
    return row;
  });
  const cols = ['case', 'body', 'wire B/msg', 'msgs/s', 'body MiB/s', 'wire MiB/s'];
  if (peer) cols.push(`amqplib ${peer.version}`, 'ratio');
  process.stdout.write(`amqp-wire codec, ${describeMachine()}, ${flags.timeMs} ms/case${flags.rounds > 1 ? `, medians of ${flags.rounds} rounds` : ''}\n`);
  printTable(cols, rows);
  if (peer) {
    for (const [k, bytes] of Object.entries(peer.wireBytes)) {
      const ourBytes = cases.find((c) => c.spec.name === k)?.wireBytes;
      if (ourBytes !== undefined && Math.round(ourBytes) !== bytes) {
        process.stdout.write(`note: ${k}: amqplib's messages are ${bytes} wire bytes, ours ${Math.round(ourBytes)}\n`);
      }
    }
  }
}

function chart(file: string, ours: Record<string, number>, peer: PeerResult | null): void {
  const series: Series[] = [];
  const colors = ['#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd'];
  const line = (name: string, results: Record<string, number>, op: string, props: boolean, color: string, dashed: boolean): void => {
    const points = BODY_SIZES.flatMap((s): [number, number][] => {
      const v = results[caseName(op, s, props)];
      return v === undefined ? [] : [[s, v]];
    });
    if (points.length > 0) series.push({ name, points, dashed, color });
  };
  for (const op of ['encode', 'decode']) {
    for (const props of [false, true]) {
      const color = colors[series.filter((s) => !s.dashed).length % colors.length]!;
      const what = `${op}, ${props ? 'props' : 'bare'}`;
      line(`amqp-wire ${what}`, ours, op, props, color, false);
      if (peer) line(`amqplib ${what}`, peer.results, op, props, color, true);
    }
  }
  writeChart(file, {
    title: 'Frame codec: messages/s against body size (props = 14 properties + 10 headers)',
    subtitle: describeMachine(),
    xLabel: 'body size',
    yLabel: 'messages / second',
    series,
    formatX: formatBytes,
  });
}

async function main(): Promise<void> {
  const { common: flags, values } = parseBenchArgs(process.argv.slice(2), USAGE, {
    compare: { type: 'boolean', default: false },
    filter: { type: 'string' },
    chunk: { type: 'string' },
  });
  const chunkSize = values.chunk === undefined ? 65536 : Math.max(1, Number(values.chunk));
  const spec = buildSpec(typeof values.filter === 'string' ? values.filter : undefined, chunkSize);
  if (spec.cases.length === 0) throw new BenchCheckError('no case matches --filter');
  const cases = spec.cases.map((c) => (c.op === 'encode' ? encodeCase(c) : decodeCase(c, chunkSize)));
  progress(`machine: ${describeMachine(machineInfo())}`, flags.quiet);
  const ourRounds: Record<string, number>[] = [];
  const peerRounds: PeerResult[] = [];
  for (let r = 0; r < flags.rounds; r++) {
    const label = flags.rounds > 1 ? `round ${r + 1}/${flags.rounds}: ` : '';
    // Alternate who goes first, so neither side always runs on a cooler machine.
    if (values.compare && r % 2 === 1) peerRounds.push(await runPeer(spec, flags, label));
    ourRounds.push(await runOurs(cases, flags, label));
    if (values.compare && r % 2 === 0) peerRounds.push(await runPeer(spec, flags, label));
  }
  const ours = medianByKey(ourRounds);
  const peer = peerRounds[0]
    ? { version: peerRounds[0].version, wireBytes: peerRounds[0].wireBytes, results: medianByKey(peerRounds.map((p) => p.results)) }
    : null;
  report(cases, ours, peer, flags);
  if (flags.svg) {
    chart(flags.svg, ours, peer);
    progress(`chart written to ${flags.svg}`, flags.quiet);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exitCode = 1;
});
