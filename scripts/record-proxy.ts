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
import net, { type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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

function relay(from: Socket, to: Socket, direction: 'C->S' | 'S->C', recording: Recording): void {
  from.on('data', (chunk: Buffer) => {
    recording.chunk(direction, chunk);
    to.write(chunk);
  });
  from.on('end', () => {
    recording.note(`${direction} end of stream`);
    to.end();
  });
  from.on('error', (err) => {
    recording.note(`${direction} ${err.message}`);
    to.destroy();
  });
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  mkdirSync(options.out, { recursive: true });
  let accepted = 0;
  let finished = 0;
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    accepted += 1;
    const path = join(options.out, `${options.name}-${accepted}.hex`);
    const recording = new Recording(
      path,
      `# ${new Date().toISOString()} ${client.remoteAddress}:${client.remotePort} -> ${options.upstreamHost}:${options.upstreamPort}`,
    );
    const upstream = net.connect({ host: options.upstreamHost, port: options.upstreamPort, allowHalfOpen: true });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    relay(client, upstream, 'C->S', recording);
    relay(upstream, client, 'S->C', recording);
    let closedSockets = 0;
    const onClose = (): void => {
      closedSockets += 1;
      if (closedSockets < 2) return;
      recording.close();
      console.log(`recorded ${path}`);
      finished += 1;
      if (options.maxConnections !== undefined && finished >= options.maxConnections) server.close();
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
  });
  server.on('error', (err) => {
    console.error(`record-proxy: ${err.message}`);
    process.exit(1);
  });
  server.listen(options.port, '127.0.0.1', () => {
    console.log(`recording 127.0.0.1:${options.port} -> ${options.upstreamHost}:${options.upstreamPort} into ${options.out}`);
  });
}

try {
  main();
} catch (err) {
  if (!(err instanceof UsageError || (err instanceof TypeError && 'code' in err))) throw err;
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
