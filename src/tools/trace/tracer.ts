/**
 * The trace itself, whatever feeds it (the proxy, a recording, a connection in this process):
 * per connection, a decoder each way and the links; events go to the printer and to any sink.
 *
 * ```ts
 * const tracer = new Tracer({ out: console.log });
 * const conn = tracer.connection(1, 'my connection');
 * conn.push('C->S', bytesTheClientSent);
 * conn.push('S->C', bytesTheServerSent);
 * conn.close();
 * for (const line of tracer.summary()) console.log(line);
 * ```
 * @packageDocumentation
 */
import { DirectionDecoder, type RawEvent } from './decoder.js';
import type { TraceDirection, TraceEvent } from './events.js';
import { ConnectionLinks } from './links.js';
import { Printer, type PrinterOptions } from './printer.js';
import { formatSummary, summaryJson, type ConnectionSummary } from './summary.js';

/** Now, in milliseconds since the epoch, with sub-millisecond resolution. */
export function traceNow(): number {
  return performance.timeOrigin + performance.now();
}

/** How a tracer is set up: where lines go, the printer's options, and an optional event sink. */
export interface TracerOptions extends PrinterOptions {
  /** Receives each output line. Omit to print nothing (a sink only). */
  readonly out?: (line: string) => void;
  /** Receives every event, filters or not, after the links have annotated it. */
  readonly sink?: (event: TraceEvent) => void;
}

/** One traced connection: push each direction's bytes as they cross. */
export class TracedConnection {
  readonly links: ConnectionLinks;
  private readonly decoders: Record<TraceDirection, DirectionDecoder>;
  private closed = false;

  /** @internal Built by {@link Tracer.connection}. */
  constructor(readonly id: number, readonly label: string, private readonly deliver: (e: RawEvent) => void, keepRaw: boolean) {
    this.links = new ConnectionLinks(id, (channel) => {
      this.decoders['C->S'].forget(channel);
      this.decoders['S->C'].forget(channel);
    });
    const emit = (e: RawEvent): void => this.deliver(e);
    this.decoders = {
      'C->S': new DirectionDecoder({ conn: id, dir: 'C->S', keepRaw, emit }),
      'S->C': new DirectionDecoder({ conn: id, dir: 'S->C', keepRaw, emit }),
    };
  }

  /** Bytes that crossed in direction `dir` at `time` (ms since the epoch; default now). */
  push(dir: TraceDirection, chunk: Buffer, time = traceNow()): void {
    this.decoders[dir].push(chunk, time);
  }

  /** The connection ended; `reason` says how if it was not an orderly close. */
  close(time = traceNow(), reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.deliver({ time, conn: this.id, dir: 'S->C', kind: 'close', channel: 0, size: 0, error: reason });
  }
}

/** Decodes, links and prints the frames of any number of connections. */
export class Tracer {
  private readonly conns = new Map<number, TracedConnection>();
  private readonly printer: Printer | undefined;

  constructor(private readonly options: TracerOptions = {}) {
    this.printer = options.out === undefined ? undefined : new Printer(options.out, options);
  }

  /** Starts tracing connection `id` (an `open` event at `time`). */
  connection(id: number, label: string, time = traceNow()): TracedConnection {
    const c = new TracedConnection(id, label, (e) => this.event(e), this.options.hex === true);
    this.conns.set(id, c);
    this.event({ time, conn: id, dir: 'C->S', kind: 'open', channel: 0, size: 0, error: label });
    return c;
  }

  /** Every connection's counts so far. */
  counts(): ConnectionSummary[] {
    return [...this.conns.values()].map((c) => ({ conn: c.id, label: c.label, channels: c.links.stats() }));
  }

  /** The summary: text lines, or one JSON line with `format: 'json'`. */
  summary(): string[] {
    return this.options.format === 'json' ? [JSON.stringify(summaryJson(this.counts()))] : formatSummary(this.counts());
  }

  private event(raw: RawEvent): void {
    const e: TraceEvent = { ...raw, notes: [], flags: [] };
    this.conns.get(e.conn)?.links.see(e);
    this.options.sink?.(e);
    this.printer?.print(e);
  }
}
