/**
 * Recording TCP proxy: forwards every connection to a broker and writes each chunk it passes, as
 * annotated hex, to one file per connection. Chunks are marked `# C->S` (client to server) or
 * `# S->C`, so the file reads as the conversation in the order the proxy saw it; the whole file
 * still parses as hex (`fromHex`), and `scripts/pika/split_frames.py` splits it into frames.
 *
 * ```sh
 * npx tsc -p tsconfig.tools.json
 * node build/scripts/record-proxy.js --port 5673 --out .tmp/recordings --name session
 * ```
 * @packageDocumentation
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startProxy, type LinkHooks, type PipeHooks, type ProxyLink, type TcpProxy } from '../src/transport/proxy.js';
import { toHex } from '../test/support/hex.js';

const USAGE = `usage: node build/scripts/record-proxy.js [options]
  --port N             port to listen on, on 127.0.0.1 (default 5673)
  --upstream HOST:PORT broker to forward to (default 127.0.0.1:5672)
  --out DIR            folder for the recordings (default .tmp/recordings)
  --name NAME          file name prefix: DIR/NAME-<connection>.hex (default conn)
  --max-connections N  exit once N connections have come and gone (default: run until killed)`;

interface Options {
  port: number;
  upstreamHost: string;
  upstreamPort: number;
  out: string;
  name: string;
  maxConnections: number | undefined;
}

class UsageError extends Error {
  override name = 'UsageError';
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '5673' },
      upstream: { type: 'string', default: '127.0.0.1:5672' },
      out: { type: 'string', default: '.tmp/recordings' },
      name: { type: 'string', default: 'conn' },
      'max-connections': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (text: string, what: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`bad ${what}: ${text}`);
    return n;
  };
  const colon = values.upstream.lastIndexOf(':');
  if (colon < 1) throw new UsageError(`--upstream wants HOST:PORT, got ${values.upstream}`);
  const max = values['max-connections'];
  return {
    port: number(values.port, '--port'),
    upstreamHost: values.upstream.slice(0, colon),
    upstreamPort: number(values.upstream.slice(colon + 1), '--upstream port'),
    out: values.out,
    name: values.name,
    maxConnections: max === undefined ? undefined : number(max, '--max-connections'),
  };
}

/** Appends the conversation of one connection to its file, chunk by chunk, as it happens. */
class Recording {
  private readonly fd: number;
  private readonly offsets = { 'C->S': 0, 'S->C': 0 };
  private open = true;

  constructor(readonly path: string, header: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, `${header}\n`);
  }

  chunk(direction: 'C->S' | 'S->C', bytes: Buffer): void {
    if (!this.open) return;
    const at = this.offsets[direction];
    this.offsets[direction] += bytes.length;
    writeSync(this.fd, `\n# ${direction} ${bytes.length} bytes at offset ${at}\n${toHex(bytes, { line: 32 })}\n`);
  }

  note(text: string): void {
    if (this.open) writeSync(this.fd, `\n# ${text}\n`);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}

/** One direction: each chunk is written down, then forwarded; so is the end of the stream. */
function recorded(direction: 'C->S' | 'S->C', recording: Recording): PipeHooks {
  return {
    onData(chunk, pipe) {
      recording.chunk(direction, chunk);
      pipe.write(chunk);
    },
    onEnd(pipe) {
      recording.note(`${direction} end of stream`);
      pipe.end();
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  mkdirSync(options.out, { recursive: true });
  const upstream = `${options.upstreamHost}:${options.upstreamPort}`;
  let finished = 0;
  let proxy: TcpProxy | undefined;
  const record = (link: ProxyLink): LinkHooks => {
    const path = join(options.out, `${options.name}-${link.id}.hex`);
    const recording = new Recording(path, `# ${new Date().toISOString()} ${link.client.remoteAddress}:${link.client.remotePort} -> ${upstream}`);
    return {
      c2s: recorded('C->S', recording),
      s2c: recorded('S->C', recording),
      onError: (err, side) => recording.note(`${side === 'client' ? 'C->S' : 'S->C'} ${err.message}`),
      onClose: () => {
        recording.close();
        console.log(`recorded ${path}`);
        finished += 1;
        if (options.maxConnections !== undefined && finished >= options.maxConnections) void proxy?.close();
      },
    };
  };
  try {
    proxy = await startProxy({ port: options.port, upstream: { host: options.upstreamHost, port: options.upstreamPort }, onLink: record });
  } catch (err) {
    console.error(`record-proxy: ${(err as Error).message}`);
    process.exit(1);
  }
  console.log(`recording 127.0.0.1:${options.port} -> ${upstream} into ${options.out}`);
}

main().catch((err: unknown) => {
  if (!(err instanceof UsageError || (err instanceof TypeError && 'code' in err))) throw err;
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
});
