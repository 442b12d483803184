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
const texts: string[] = new Array<string>(SLOTS).fill('');

type Latin1Slice = (this: Buffer, start: number, end: number) => string;
/** The native slicer behind `toString('latin1', ...)`, called without its argument checks (ours are done). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice
  ?? function (this: Buffer, start: number, end: number): string { return this.toString('latin1', start, end); };

/** Text of `buf[start, end)`; null when it is not valid UTF-8. */
export function cachedText(buf: Buffer, start: number, end: number): string | null {
  const len = end - start;
  if (len > MAX_LEN) return tryDecodeText(buf, start, end);
  let h = len;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c > 0x7f) return tryDecodeText(buf, start, end);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h ^ (h >>> 16)) & (SLOTS - 1);
  const known = texts[slot]!;
  if (known.length === len) {
    let i = 0;
    while (i < len && known.charCodeAt(i) === buf[start + i]) i++;
    if (i === len) return known;
  }
  const text = latin1Slice.call(buf, start, end);
  texts[slot] = text;
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
