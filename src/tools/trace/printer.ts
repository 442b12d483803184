/**
 * How a trace event reads: one text line per frame (time, delta, connection, direction, channel,
 * `class.method` with its key arguments, notes and flags), annotated hex under it with `--hex`,
 * or one JSON object per frame. The filters hide lines and nothing else: the links and the
 * summary still see every frame.
 * @packageDocumentation
 */
import { TypedField } from '../../frames/field-table.js';
import type { BasicProperties } from '../../frames/properties.js';
import { methodName } from '../../methods/codec.js';
import type { TraceEvent } from './events.js';

/** How the printer writes. */
export interface PrinterOptions {
  /** `text` (default): one line per frame. `json`: one JSON object per frame. */
  readonly format?: 'text' | 'json' | undefined;
  /** Add annotated hex of each frame (needs events with `raw`). */
  readonly hex?: boolean | undefined;
  /** Show heartbeats (default true). */
  readonly heartbeats?: boolean | undefined;
  /** Only frames on this channel (connection-level events and flags on channel 0 still show). */
  readonly channel?: number | undefined;
  /** Only methods matching this glob, e.g. `basic.*` (content frames follow their method). */
  readonly method?: string | undefined;
  /** Longest body preview in characters (default 64). */
  readonly preview?: number | undefined;
}

/** Short names of the arguments people look for. */
const SHORT: Readonly<Record<string, string>> = {
  queue: 'q', exchange: 'x', routingKey: 'rk', consumerTag: 'ctag', deliveryTag: 'dtag', destination: 'dx', source: 'sx',
  replyCode: 'code', replyText: 'text', messageCount: 'messages', consumerCount: 'consumers', prefetchCount: 'prefetch',
  prefetchSize: 'prefetch_size', virtualHost: 'vhost', channelMax: 'channel_max', frameMax: 'frame_max',
};

/** Arguments that say nothing (deprecated fields) or must not be printed (credentials). */
const HIDDEN = new Set(['ticket', 'outOfBand', 'knownHosts', 'capabilities', 'channelId', 'clusterId', 'locale', 'versionMajor', 'versionMinor', 'locales']);
const SECRET = new Set(['response', 'newSecret', 'challenge']);

// eslint-disable-next-line no-control-regex
const NOT_TEXT = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/;

/** A field value as compact text. */
export function showValue(v: unknown): string {
  if (v instanceof TypedField) return showValue(v.value);
  if (typeof v === 'string') return /^[\w.:/@*#-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  if (v instanceof Uint8Array) {
    // longstr arguments (mechanisms, locales) arrive as bytes; most are text.
    const text = Buffer.from(v.buffer, v.byteOffset, v.length).toString('utf8');
    return v.length <= 128 && !NOT_TEXT.test(text) ? JSON.stringify(text) : `<${v.length} bytes>`;
  }
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if ('scale' in v && 'value' in v && entries.length === 2) {
      const d = v as { scale: number; value: number };
      return (d.value / 10 ** d.scale).toFixed(d.scale);
    }
    return `{${entries.map(([k, x]) => `${k}: ${showValue(x)}`).join(', ')}}`;
  }
  return String(v);
}

/** `q=hello x=amq.topic rk=a.b mandatory`: the arguments of a method worth a glance. */
export function describeArgs(name: string, args: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const table = (label: string, t: unknown, keys: readonly string[]): void => {
    const o = (t ?? {}) as Record<string, unknown>;
    for (const k of keys) if (o[k] !== undefined) parts.push(`${k}=${showValue(o[k])}`);
    void label;
  };
  if (name === 'connection.start') {
    parts.push(`version=${String(args['versionMajor'])}-${String(args['versionMinor'])}`);
    table('server', args['serverProperties'], ['product', 'version', 'cluster_name']);
  } else if (name === 'connection.start-ok') {
    table('client', args['clientProperties'], ['product', 'version', 'connection_name']);
  }
  const bind = name === 'queue.bind' || name === 'queue.unbind' || name === 'exchange.bind' || name === 'exchange.unbind';
  for (const [k, v] of Object.entries(args)) {
    if (HIDDEN.has(k) || k === 'serverProperties' || k === 'clientProperties') continue;
    if (SECRET.has(k)) {
      parts.push(`${k}=<${(v as { length: number }).length} bytes hidden>`);
      continue;
    }
    if ((k === 'classId' || k === 'methodId') && (name === 'connection.close' || name === 'channel.close')) {
      if (k === 'classId' && v !== 0) parts.push(`on=${methodName(v as number, args['methodId'] as number)}`);
      continue;
    }
    const label = bind && k === 'routingKey' ? 'bk' : (SHORT[k] ?? k);
    if (typeof v === 'boolean') {
      if (v) parts.push(k);
      continue;
    }
    if (k === 'arguments') {
      if (Object.keys(v as object).length > 0) parts.push(`args=${showValue(v)}`);
      continue;
    }
    parts.push(`${label}=${typeof v === 'string' && v === '' ? '""' : showValue(v)}`);
  }
  return parts.join(' ');
}

const PROP_LABEL: Readonly<Record<string, string>> = {
  contentType: 'content_type', contentEncoding: 'content_encoding', deliveryMode: 'delivery_mode', correlationId: 'correlation_id',
  replyTo: 'reply_to', messageId: 'message_id', userId: 'user_id', appId: 'app_id', clusterId: 'cluster_id',
};

/** The properties of a content header; `traceparent` in the headers comes first. */
export function describeProperties(p: BasicProperties): string {
  const parts: string[] = [];
  const headers = p.headers as Record<string, unknown> | undefined;
  const traceparent = headers?.['traceparent'];
  if (traceparent !== undefined) parts.push(`traceparent=${showValue(traceparent)}`);
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    if (k === 'headers' && traceparent !== undefined) {
      const rest = Object.fromEntries(Object.entries(headers!).filter(([h]) => h !== 'traceparent'));
      if (Object.keys(rest).length > 0) parts.push(`headers=${showValue(rest)}`);
      continue;
    }
    parts.push(`${PROP_LABEL[k] ?? k}=${showValue(v)}`);
  }
  return parts.join(' ');
}

/** A body as text when it is printable UTF-8, else as hex, cut at `max` characters. */
export function previewBody(body: Uint8Array, max = 64): string {
  const text = Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, max * 4)).toString('utf8');
  const printable = !NOT_TEXT.test(text);
  if (printable) {
    const cut = [...text];
    return JSON.stringify(cut.slice(0, max).join('')) + (cut.length > max || body.length > max * 4 ? '...' : '');
  }
  const n = Math.min(body.length, Math.floor(max / 2));
  return `0x${Buffer.from(body.buffer, body.byteOffset, n).toString('hex')}${body.length > n ? '...' : ''}`;
}

function size(n: number): string {
  return n < 10_000 ? `${n} B` : n < 10_000_000 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

/** What a frame is, without time, connection or direction: `basic.publish x="" rk=hello`. */
export function describeFrame(e: TraceEvent, preview = 64): string {
  switch (e.kind) {
    case 'open':
    case 'close':
      return `connection ${e.kind === 'open' ? 'opened' : 'closed'}${e.error ? `: ${e.error}` : ''}`;
    case 'protocol-header':
      return 'protocol header AMQP 0-9-1';
    case 'decode-error':
      return `DECODE FAILED: ${e.error}`;
    case 'heartbeat':
      return 'heartbeat';
    case 'method': {
      const a = describeArgs(e.name!, e.args ?? {});
      return a === '' ? e.name! : `${e.name} ${a}`;
    }
    case 'header': {
      const props = describeProperties(e.properties ?? {});
      const empty = e.body ? ' (empty body, complete)' : '';
      return `content-header body=${size(e.bodySize!)}${empty}${props === '' ? '' : ` ${props}`}`;
    }
    case 'body': {
      if (e.body === undefined) return `body frame ${e.index} ${size(e.payload!)}`;
      const frames = e.body.frames === 1 ? '1 frame' : `${e.body.frames} frames`;
      return `body ${size(e.body.size)} in ${frames}: ${previewBody(e.body.bytes, preview)}`;
    }
  }
}

const FRAME_TYPES: Readonly<Record<number, string>> = { 1: 'method', 2: 'header', 3: 'body', 8: 'heartbeat' };

/** Annotated hex of a raw frame (or the protocol header), one line per field, then the payload 16 bytes a line. */
export function annotatedHex(e: TraceEvent, indent = '    '): string[] {
  const raw = e.raw;
  if (raw === undefined) return [];
  const hex = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  const row = (bytes: Buffer, what: string): string => `${indent}${hex(bytes).padEnd(24)}${what}`;
  if (e.kind === 'protocol-header') return [row(raw, `"AMQP" 0 0-9-1`)];
  const out = [
    row(raw.subarray(0, 1), `type ${raw[0]} (${FRAME_TYPES[raw[0]!] ?? '?'})`),
    row(raw.subarray(1, 3), `channel ${raw.readUInt16BE(1)}`),
    row(raw.subarray(3, 7), `size ${raw.readUInt32BE(3)}`),
  ];
  let payload = raw.subarray(7, raw.length - 1);
  if (e.kind === 'method' && payload.length >= 4) {
    out.push(row(payload.subarray(0, 4), `class ${payload.readUInt16BE(0)} method ${payload.readUInt16BE(2)} (${e.name})`));
    payload = payload.subarray(4);
  } else if (e.kind === 'header' && payload.length >= 14) {
    out.push(row(payload.subarray(0, 4), `class ${payload.readUInt16BE(0)} weight ${payload.readUInt16BE(2)}`));
    out.push(row(payload.subarray(4, 12), `body size ${e.bodySize}`));
    out.push(row(payload.subarray(12, 14), `property flags 0x${payload.readUInt16BE(12).toString(16).padStart(4, '0')}`));
    payload = payload.subarray(14);
  }
  for (let at = 0; at < payload.length; at += 16) {
    const chunk = payload.subarray(at, Math.min(at + 16, payload.length));
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${indent}${hex(chunk).padEnd(48)}|${ascii}|`);
  }
  out.push(row(raw.subarray(raw.length - 1), 'frame end'));
  return out;
}

function jsonSafe(v: unknown): unknown {
  if (v instanceof TypedField) return jsonSafe(v.value);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return { bytes: v.length };
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonSafe(x)]));
  }
  return v;
}

/** The JSON form of an event: plain data, credentials hidden, bodies previewed. */
export function toJson(e: TraceEvent, preview = 64): Record<string, unknown> {
  const args = e.args === undefined ? undefined
    : Object.fromEntries(Object.entries(e.args).map(([k, v]) => [k, SECRET.has(k) ? { hidden: (v as { length: number }).length } : jsonSafe(v)]));
  return {
    time: new Date(e.time).toISOString(),
    conn: e.conn,
    dir: e.dir,
    channel: e.channel,
    kind: e.kind,
    size: e.size,
    ...(e.name === undefined ? {} : { method: e.name }),
    ...(args === undefined ? {} : { args }),
    ...(e.bodySize === undefined ? {} : { bodySize: e.bodySize }),
    ...(e.properties === undefined ? {} : { properties: jsonSafe(e.properties) }),
    ...(e.index === undefined ? {} : { index: e.index, payload: e.payload }),
    ...(e.body === undefined ? {} : { body: { size: e.body.size, frames: e.body.frames, preview: previewBody(e.body.bytes, preview) } }),
    ...(e.error === undefined ? {} : { error: e.error }),
    ...(e.raw === undefined ? {} : { hex: e.raw.toString('hex') }),
    notes: e.notes,
    flags: e.flags,
  };
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Turns events into output lines, applying the filters. */
export class Printer {
  private readonly last = new Map<number, number>();
  private readonly method: RegExp | undefined;
  /** The content method each conn/direction/channel is carrying, so its frames follow its filter. */
  private readonly content = new Map<string, string>();

  constructor(private readonly out: (line: string) => void, private readonly options: PrinterOptions = {}) {
    this.method = options.method === undefined ? undefined : glob(options.method);
  }

  /** True when the filters let `e` through. */
  shows(e: TraceEvent): boolean {
    const o = this.options;
    const key = `${e.conn}:${e.dir}:${e.channel}`;
    if (e.kind === 'method') this.content.set(key, e.name!);
    if (e.kind === 'decode-error' || e.kind === 'open' || e.kind === 'close') return true;
    if (e.kind === 'heartbeat' && o.heartbeats === false) return false;
    if (o.channel !== undefined && e.channel !== o.channel) return false;
    if (this.method !== undefined) {
      const name = e.kind === 'method' ? e.name! : e.kind === 'header' || e.kind === 'body' ? this.content.get(key) ?? '' : e.kind;
      if (!this.method.test(name)) return false;
    }
    return true;
  }

  /** Print `e` if the filters let it through. */
  print(e: TraceEvent): void {
    const previous = this.last.get(e.conn);
    this.last.set(e.conn, e.time);
    if (!this.shows(e)) return;
    const o = this.options;
    if (o.format === 'json') {
      this.out(JSON.stringify(toJson(e, o.preview)));
      return;
    }
    this.out(formatLine(e, previous, o.preview));
    if (o.hex) for (const line of annotatedHex(e)) this.out(line);
  }
}

/** `12:00:01.234 +0.41ms #1 C->S ch1 basic.publish x="" rk=hello  = publish #1  !! flag`. */
export function formatLine(e: TraceEvent, previous: number | undefined, preview = 64): string {
  const time = new Date(e.time).toISOString().slice(11, 23);
  const d = previous === undefined ? 0 : e.time - previous;
  const delta = `+${d < 1000 ? `${d.toFixed(2)}ms` : `${(d / 1000).toFixed(2)}s`}`.padStart(9);
  const head = `${time} ${delta} #${e.conn} ${e.dir} ch${e.channel}`;
  const notes = e.notes.map((n) => `  = ${n}`).join('');
  const flags = e.flags.map((f) => `  !! ${f}`).join('');
  return `${head} ${describeFrame(e, preview)}${notes}${flags}`;
}
