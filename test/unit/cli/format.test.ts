import { describe, expect, it } from 'vitest';
import { reprBody, reprBytes, reprText } from '../../../src/cli/format.js';

// [input, what Python 3.11's repr() printed for it]
const TEXT: Array<[string, string]> = [["\u5154\u5b500", "'\u5154\u5b500'"], ["info: Hello World!", "'info: Hello World!'"], ["it's", "\"it's\""], ["say \"hi\"", "'say \"hi\"'"], ["both ' and \"", "'both \\' and \"'"], ["tab\there", "'tab\\there'"], ["nl\nx", "'nl\\nx'"], ["back\\slash", "'back\\\\slash'"], ["\u0000\u007f\u0085", "'\\x00\\x7f\\x85'"], ["\u2028 \u00a0 \u200b", "'\\u2028 \\xa0 \\u200b'"], ["\ud83d\ude00", "'\ud83d\ude00'"], ["e\u0301", "'e\u0301'"], ["", "''"]];
// [input as hex, what Python 3.11's repr() printed for those bytes]
const BYTES: Array<[string, string]> = [["696e666f3a2048656c6c6f20576f726c6421", "b'info: Hello World!'"], ["e58594e5ad90", "b'\\xe5\\x85\\x94\\xe5\\xad\\x90'"], ["69742773", "b\"it's\""], ["007fff09", "b'\\x00\\x7f\\xff\\t'"], ["626f7468202720616e642022", "b'both \\' and \"'"], ["", "b''"]];

describe('Python repr() of the seed scripts\' output', () => {
  it.each(TEXT)('str %j', (input, python) => {
    expect(reprText(input)).toBe(python);
  });

  it.each(BYTES)('bytes %s', (hex, python) => {
    expect(reprBytes(Buffer.from(hex, 'hex'))).toBe(python);
  });

  it('shows a body as text when it is UTF-8, else as bytes', () => {
    expect(reprBody(Buffer.from('兔子0'))).toBe("'兔子0'");
    expect(reprBody(Buffer.from([0xff, 0x41]))).toBe("b'\\xffA'");
  });
});
