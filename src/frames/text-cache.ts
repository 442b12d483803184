/**
 * Decoding of short text from field tables and content-header properties, remembering recent
 * strings. Header keys and most property values (content type, app id, reply-to, `x-origin`
 * values...) repeat from one message to the next, so when the same bytes come again the string
 * made from them last time is returned: a hash and a compare over a few bytes instead of a new
 * string from a native call per field.
 *
 * The memory is a fixed table of SLOTS strings (each at most MAX_LEN ASCII characters) shared by
 * the process; a string that does not repeat just replaces one slot.
 * @packageDocumentation
 */
import { syntaxError } from './errors.js';
import { tryDecodeText, type Reader } from './reader.js';

const SLOTS = 1024;
const MAX_LEN = 64;
/** The remembered strings, and the bytes each came from (slot i at i * MAX_LEN; length -1: empty slot). */
const texts: string[] = new Array<string>(SLOTS).fill('');
const bytes = new Uint8Array(SLOTS * MAX_LEN);
const lengths = new Int16Array(SLOTS).fill(-1);

type Latin1Slice = (this: Buffer, start: number, end: number) => string;
/** The native slicer behind `toString('latin1', ...)`, called without its argument checks (ours are done). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice
  ?? function (this: Buffer, start: number, end: number): string { return this.toString('latin1', start, end); };

/** Text of `buf[start, end)`; null when it is not valid UTF-8. */
export function cachedText(buf: Buffer, start: number, end: number): string | null {
  const len = end - start;
  if (len > MAX_LEN) return tryDecodeText(buf, start, end);
  // The slot comes from the length and a few sampled bytes; the byte compare below decides.
  let h = Math.imul(len, 0x9e3779b1);
  if (len > 0) {
    h = Math.imul(h ^ buf[start]!, 0x01000193);
    h = Math.imul(h ^ buf[end - 1]!, 0x01000193);
    h = Math.imul(h ^ buf[start + (len >>> 1)]!, 0x01000193);
    h = Math.imul(h ^ buf[start + (len >>> 2)]!, 0x01000193);
    h = Math.imul(h ^ buf[start + ((3 * len) >>> 2)]!, 0x01000193);
  }
  const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
  const at = slot * MAX_LEN;
  if (lengths[slot] === len) {
    let i = 0;
    while (i < len && bytes[at + i] === buf[start + i]) i++;
    // Only ASCII is ever stored, so equal bytes are ASCII too.
    if (i === len) return texts[slot]!;
  }
  for (let i = start; i < end; i++) if (buf[i]! > 0x7f) return tryDecodeText(buf, start, end);
  const text = latin1Slice.call(buf, start, end);
  texts[slot] = text;
  lengths[slot] = len;
  for (let i = 0; i < len; i++) bytes[at + i] = buf[start + i]!;
  return text;
}

/** A short string (length octet + UTF-8) at the reader's position; invalid UTF-8 is a 502. */
export function readShortText(r: Reader): string {
  r.need(1, 'short string length');
  const buf = r.buf;
  const start = r.pos + 1;
  const len = buf[r.pos]!;
  r.pos = start;
  r.need(len, 'short string');
  const text = cachedText(buf, start, start + len);
  if (text === null) throw syntaxError('short string is not valid UTF-8');
  r.pos = start + len;
  return text;
}
