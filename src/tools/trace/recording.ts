/**
 * The `--record` file format (version 1): raw bytes as they crossed the proxy, both directions,
 * every connection, read boundaries kept, with monotonic timestamps. Big-endian throughout.
 *
 *   file   = magic "AWTRACE1" (8 bytes), start time (u64, µs since the Unix epoch), record*
 *   record = kind (u8), connection id (u32), time (u64, µs since the start, monotonic),
 *            length (u32), data (length bytes)
 *   kind   = 0 bytes client->server, 1 bytes server->client,
 *            2 connection opened (data: a UTF-8 label), 3 connection closed (data: UTF-8 reason, may be empty)
 *
 * A file cut short (the tracer killed mid-write) reads up to its last whole record.
 * @packageDocumentation
 */
import { createWriteStream, type WriteStream } from 'node:fs';

/** The file's first 8 bytes. */
export const RECORDING_MAGIC = Buffer.from('AWTRACE1', 'ascii');
const FILE_HEADER = 16;
const RECORD_HEADER = 17;

/** The kinds of record. */
export const RecordKind = { C2S: 0, S2C: 1, OPEN: 2, CLOSE: 3 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** One record read back. */
export interface RecordingEntry {
  readonly kind: RecordKind;
  readonly conn: number;
  /** Milliseconds since the epoch (start time plus the record's offset). */
  readonly time: number;
  readonly data: Buffer;
}

/** The file is not a recording, or not one this version reads. */
export class RecordingFormatError extends Error {
  override name = 'RecordingFormatError';
}

/** Appends records to a file as they come. */
export class RecordingWriter {
  private readonly stream: WriteStream;
  private readonly start = process.hrtime.bigint();

  constructor(path: string) {
    this.stream = createWriteStream(path);
    const header = Buffer.alloc(FILE_HEADER);
    RECORDING_MAGIC.copy(header, 0);
    header.writeBigUInt64BE(BigInt(Math.round(Date.now() * 1000)), 8);
    this.stream.write(header);
  }

  /** Write one record now. */
  write(kind: RecordKind, conn: number, data: Buffer): void {
    const h = Buffer.alloc(RECORD_HEADER);
    h.writeUInt8(kind, 0);
    h.writeUInt32BE(conn, 1);
    h.writeBigUInt64BE((process.hrtime.bigint() - this.start) / 1000n, 5);
    h.writeUInt32BE(data.length, 13);
    this.stream.write(h);
    if (data.length > 0) this.stream.write(data);
  }

  /** Flush and close the file. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** The records of a recording, in order. Throws RecordingFormatError on a foreign file. */
export function* readRecording(file: Buffer): Generator<RecordingEntry> {
  if (file.length < FILE_HEADER || !file.subarray(0, 8).equals(RECORDING_MAGIC)) {
    throw new RecordingFormatError(`not an amqp-wire trace recording (expected magic "AWTRACE1", got ${JSON.stringify(file.subarray(0, 8).toString('latin1'))})`);
  }
  const startUs = file.readBigUInt64BE(8);
  let at = FILE_HEADER;
  while (at + RECORD_HEADER <= file.length) {
    const kind = file.readUInt8(at);
    if (kind > 3) throw new RecordingFormatError(`unknown record kind ${kind} at offset ${at}`);
    const length = file.readUInt32BE(at + 13);
    if (at + RECORD_HEADER + length > file.length) return;
    const us = startUs + file.readBigUInt64BE(at + 5);
    yield { kind: kind as RecordKind, conn: file.readUInt32BE(at + 1), time: Number(us) / 1000, data: file.subarray(at + RECORD_HEADER, at + RECORD_HEADER + length) };
    at += RECORD_HEADER + length;
  }
}
