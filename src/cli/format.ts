/**
 * Python's `repr()` for text and bytes, so the CLI and the examples print the lines the seed's
 * pika scripts print (`print(" [x] Received %r" % body)`).
 * @packageDocumentation
 */

// Python's str.isprintable() is false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs (but ' ').
const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

function quoteFor(hasSingle: boolean, hasDouble: boolean): string {
  return hasSingle && !hasDouble ? '"' : "'";
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** `repr(s)` of a Python 3 str: `'兔子0'`, `"it's"`, `'a\\nb'`. */
export function reprText(s: string): string {
  const q = quoteFor(s.includes("'"), s.includes('"'));
  let out = q;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (ch === q) out += `\\${q}`;
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) {
      out += code <= 0xff ? `\\x${hex(code, 2)}` : code <= 0xffff ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    } else out += ch;
  }
  return out + q;
}

/** `repr(b)` of Python 3 bytes: `b'info: Hello World!'`, `b'\\xe5\\x85\\x94'`. */
export function reprBytes(b: Uint8Array): string {
  const q = quoteFor(b.includes(0x27), b.includes(0x22));
  let out = `b${q}`;
  for (const byte of b) {
    const ch = String.fromCharCode(byte);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (ch === q) out += `\\${q}`;
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${hex(byte, 2)}`;
    else out += ch;
  }
  return out + q;
}

/**
 * A message body as the CLI shows it: the repr of its UTF-8 text, or of its bytes when it is not
 * valid UTF-8.
 */
export function reprBody(body: Uint8Array): string {
  try {
    return reprText(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body));
  } catch {
    return reprBytes(body);
  }
}
