/**
 * `trace --replay`: a recording decoded offline by the same tracer, with the recorded times, so
 * the lines, links, flags and summary are those the live trace would have printed.
 * @packageDocumentation
 */
import { readRecording, RecordKind } from './recording.js';
import type { TracedConnection, Tracer } from './tracer.js';

/** Feeds every record of `file` (a recording's bytes) to `tracer`; returns how many records. */
export function replayRecording(file: Buffer, tracer: Tracer): number {
  const conns = new Map<number, TracedConnection>();
  let n = 0;
  for (const r of readRecording(file)) {
    n++;
    let c = conns.get(r.conn);
    if (r.kind === RecordKind.OPEN || c === undefined) {
      c = tracer.connection(r.conn, r.kind === RecordKind.OPEN ? r.data.toString('utf8') : `connection ${r.conn}`, r.time);
      conns.set(r.conn, c);
      if (r.kind === RecordKind.OPEN) continue;
    }
    if (r.kind === RecordKind.CLOSE) c.close(r.time, r.data.length > 0 ? r.data.toString('utf8') : undefined);
    else c.push(r.kind === RecordKind.C2S ? 'C->S' : 'S->C', r.data, r.time);
  }
  return n;
}
