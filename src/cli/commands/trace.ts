/**
 * `amqp-wire trace`: a transparent proxy that prints every AMQP frame crossing it, decoded and
 * linked (src/tools/trace), or the same view of a recording.
 * @packageDocumentation
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { ArgumentError, parseAmqpUrl } from '../../index.js';
import { RecordingWriter, Tracer, replayRecording, startTraceProxy } from '../../tools/trace/index.js';
import { COMMON_HELP, COMMON_OPTIONS, CliUsageError, ExitCode, intOption, parse, parseArgs, resolveUrl, type BaseConfig } from '../args.js';
import { aborted, type Command, type RunContext } from '../command.js';

/** Parsed `trace` arguments. */
export interface TraceConfig extends BaseConfig {
  listen: number;
  listenHost: string;
  /** `--upstream`, else the common `--url`. */
  upstream: string;
  replay: string | undefined;
  record: string | undefined;
  hex: boolean;
  json: boolean;
  heartbeats: boolean;
  channel: number | undefined;
  method: string | undefined;
  summary: boolean;
  ca: string | undefined;
  insecure: boolean;
  keylog: string | undefined;
}

const HELP = `Usage: amqp-wire trace [--listen PORT] [--upstream URL] [options]
       amqp-wire trace --replay FILE [options]

A transparent proxy that prints every AMQP frame between any client and the broker: point the
client at the listen port. Bytes go through untouched both ways, even where decoding fails (a line
says so and that direction goes on undecoded). Each client connection gets an id (#1, #2, ...).

  amqp-wire trace --listen 5673 --upstream amqp://localhost:5672
  amqp-wire trace --listen 5673 --upstream amqps://broker:5671 --ca ca.pem --keylog keys.log
  amqp-wire trace --record run.awt --no-heartbeats --method 'basic.*'
  amqp-wire trace --replay run.awt --channel 1

Each line: time, delta since the connection's previous frame, connection id, direction (C->S or
S->C), channel, then class.method with its key arguments (q= x= rk= bk= ctag= dtag= ...), a
content header with its properties, or a body with its size, frame count and a preview.
"= ..." notes link frames: tune offers and who won each value, publish #N (numbered from
confirm.select) and the ack/nack/return that settles it with latency, each delivery and the
ack/nack/reject that settles it with hold time, each request's reply with the round trip.
"!! ..." flags: closes with an error code, server basic.cancel, basic.return, nacks, frames over
frame_max, unknown or already settled delivery tags, decode failures.

Options:
  -l, --listen PORT      port to listen on (default 5673; 0 picks one)
      --listen-host H    address to listen on (default 127.0.0.1)
  -u, --upstream URL     broker to forward to: amqp://host:port or amqps://host:port
                         (default: --url, $AMQP_URL, else localhost:5672); credentials are ignored,
                         the client sends its own
      --ca FILE          CA certificate (PEM) for an amqps upstream
      --insecure         do not verify the amqps upstream's certificate
      --keylog FILE      append TLS session keys (NSS key log format) for Wireshark
      --hex              annotated hex of each frame under its line (with --json: a "hex" field)
      --json             one JSON object per frame (and a JSON summary)
      --no-heartbeats    hide heartbeat lines
      --channel N        show only channel N (and connection events)
      --method GLOB      show only methods matching GLOB, e.g. 'basic.*' (content frames follow
                         their method)
      --no-summary       no summary on exit
      --record FILE      also write every byte to FILE (format below)
      --replay FILE      decode a recording instead of listening
${COMMON_HELP}

Filters hide lines only: links, flags and the summary see every frame. On exit (Ctrl-C) a
summary per connection and channel: frames and bytes per method, publishes unconfirmed,
deliveries unacked, flags, p50/p99 of confirm latency, hold time and round trip.

Recording format (version 1, big-endian): "AWTRACE1", u64 start time (µs since the epoch), then
records of u8 kind (0 client->server bytes, 1 server->client bytes, 2 connection opened,
3 connection closed), u32 connection id, u64 µs since the start (monotonic), u32 length, and
that many bytes (the chunk as read, or a UTF-8 label for 2 and 3).

Exit codes: 0 after Ctrl-C or a finished replay, 1 failure, 2 usage.`;

function parseTrace(argv: string[], env: Readonly<Record<string, string | undefined>>): TraceConfig {
  const { values: v } = parse(() => parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      listen: { type: 'string', short: 'l' },
      'listen-host': { type: 'string' },
      upstream: { type: 'string', short: 'u' },
      replay: { type: 'string' },
      record: { type: 'string' },
      hex: { type: 'boolean' },
      json: { type: 'boolean' },
      'no-heartbeats': { type: 'boolean' },
      channel: { type: 'string' },
      method: { type: 'string' },
      'no-summary': { type: 'boolean' },
      ca: { type: 'string' },
      insecure: { type: 'boolean' },
      keylog: { type: 'string' },
    },
  }));
  if (v.replay !== undefined && (v.listen !== undefined || v.upstream !== undefined || v.record !== undefined)) {
    throw new CliUsageError('--replay reads a recording: it takes no --listen, --upstream or --record');
  }
  if (v.method === '') throw new CliUsageError('--method must not be empty');
  return {
    help: v.help ?? false,
    url: resolveUrl(v.url, env),
    listen: intOption(v.listen, 'listen', 0, 65535) ?? 5673,
    listenHost: v['listen-host'] ?? '127.0.0.1',
    upstream: v.upstream ?? resolveUrl(v.url, env),
    replay: v.replay,
    record: v.record,
    hex: v.hex ?? false,
    json: v.json ?? false,
    heartbeats: !(v['no-heartbeats'] ?? false),
    channel: intOption(v.channel, 'channel', 0, 65535),
    method: v.method,
    summary: !(v['no-summary'] ?? false),
    ca: v.ca,
    insecure: v.insecure ?? false,
    keylog: v.keylog,
  };
}

function upstreamOf(url: string): { host: string; port: number; tls: boolean } {
  try {
    const u = parseAmqpUrl(url);
    const tls = u.tls === true;
    return { host: u.host ?? 'localhost', port: u.port ?? (tls ? 5671 : 5672), tls };
  } catch (e) {
    if (e instanceof ArgumentError) throw new CliUsageError(`bad --upstream: ${e.message}`);
    throw e;
  }
}

function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliUsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
}

async function runTrace(c: TraceConfig, { io, signal }: RunContext): Promise<number> {
  const tracer = new Tracer({
    out: (line) => io.out(line), format: c.json ? 'json' : 'text', hex: c.hex, heartbeats: c.heartbeats, channel: c.channel, method: c.method,
  });
  const finish = (): void => {
    if (c.summary) for (const line of tracer.summary()) io.out(line);
  };
  if (c.replay !== undefined) {
    replayRecording(readFile(c.replay, '--replay'), tracer);
    finish();
    return ExitCode.OK;
  }
  const up = upstreamOf(c.upstream);
  const ca = c.ca === undefined ? undefined : readFile(c.ca, '--ca');
  const recorder = c.record === undefined ? undefined : new RecordingWriter(c.record);
  const keylog = c.keylog;
  const proxy = await startTraceProxy({
    upstream: { host: up.host, port: up.port },
    tls: up.tls ? { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: !c.insecure } : undefined,
    host: c.listenHost,
    port: c.listen,
    tracer,
    recorder,
    onKeylog: keylog === undefined ? undefined : (line) => appendFileSync(keylog, line),
  });
  io.err(`amqp-wire trace: listening on ${c.listenHost}:${proxy.port}, forwarding to ${up.tls ? 'amqps' : 'amqp'}://${up.host}:${up.port}; Ctrl-C to stop`);
  await aborted(signal);
  await proxy.close();
  await recorder?.close();
  finish();
  return ExitCode.OK;
}

/** `amqp-wire trace`. */
export const traceCommand: Command<TraceConfig> = {
  name: 'trace',
  summary: 'proxy that prints every AMQP frame, decoded and linked (or --replay a recording)',
  help: HELP,
  parse: parseTrace,
  run: runTrace,
};
