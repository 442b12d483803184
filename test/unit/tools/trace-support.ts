/**
 * Byte streams for trace tests, built with the frame writer and the method codec: what a client
 * and a broker would put on the wire.
 */
import { FrameType, PROTOCOL_HEADER } from '../../../src/frames/constants.js';
import { writeContentHeader, type BasicProperties } from '../../../src/frames/properties.js';
import { Writer } from '../../../src/frames/writer.js';
import { encodeMethod } from '../../../src/methods/codec.js';
import type { MethodArgs, MethodName } from '../../../src/methods/types.js';
import { Tracer, type TraceEvent, type TracerOptions } from '../../../src/tools/trace/index.js';

export function method<N extends MethodName>(channel: number, name: N, args: MethodArgs<N>): Buffer {
  const w = new Writer();
  encodeMethod(w, channel, name, args);
  return Buffer.from(w.flush());
}

/** A content method, its header and its body cut into frames of at most `chunk` bytes. */
export function message<N extends MethodName>(
  channel: number, name: N, args: MethodArgs<N>, body: Buffer, props: BasicProperties = {}, chunk = 131064,
): Buffer {
  const w = new Writer();
  encodeMethod(w, channel, name, args);
  writeContentHeader(w, channel, 60, body.length, props);
  for (let at = 0; at < body.length; at += chunk) {
    const start = w.startFrame(FrameType.BODY, channel);
    w.bytes(body.subarray(at, Math.min(at + chunk, body.length)));
    w.endFrame(start);
  }
  return Buffer.from(w.flush());
}

export function heartbeat(): Buffer {
  const w = new Writer();
  w.heartbeat();
  return Buffer.from(w.flush());
}

export const header = (): Buffer => Buffer.from(PROTOCOL_HEADER);

/** A tracer over one connection whose events and lines are collected; `at(ms)` sets the clock. */
export function traced(options: Omit<TracerOptions, 'out' | 'sink'> = {}) {
  const events: TraceEvent[] = [];
  const lines: string[] = [];
  const tracer = new Tracer({ ...options, out: (l) => lines.push(l), sink: (e) => events.push(e) });
  let now = 1_700_000_000_000;
  const conn = tracer.connection(1, 'test', now);
  return {
    tracer, events, lines,
    at(ms: number) {
      now = 1_700_000_000_000 + ms;
      return this;
    },
    c2s(...chunks: Buffer[]) {
      for (const c of chunks) conn.push('C->S', c, now);
      return this;
    },
    s2c(...chunks: Buffer[]) {
      for (const c of chunks) conn.push('S->C', c, now);
      return this;
    },
    close() {
      conn.close(now);
      return this;
    },
    /** `dir name` of each method event. */
    methods(): string[] {
      return events.filter((e) => e.kind === 'method').map((e) => `${e.dir} ${e.name}`);
    },
    find(name: string, nth = 0): TraceEvent {
      const found = events.filter((e) => e.name === name)[nth];
      if (found === undefined) throw new Error(`no ${name} #${nth}`);
      return found;
    },
  };
}

/** A connection's opening, up to open-ok, with the tune values given. */
export function handshake(t: ReturnType<typeof traced>, server = { channelMax: 2047, frameMax: 131072, heartbeat: 60 }, client = server): void {
  t.c2s(header());
  t.s2c(method(0, 'connection.start', { versionMajor: 0, versionMinor: 9, serverProperties: { product: 'RabbitMQ' }, mechanisms: 'PLAIN', locales: 'en_US' }));
  t.c2s(method(0, 'connection.start-ok', { clientProperties: { product: 'test' }, mechanism: 'PLAIN', response: '\0guest\0guest', locale: 'en_US' }));
  t.s2c(method(0, 'connection.tune', server));
  t.c2s(method(0, 'connection.tune-ok', client));
  t.c2s(method(0, 'connection.open', { virtualHost: '/' }));
  t.s2c(method(0, 'connection.open-ok', {}));
}
