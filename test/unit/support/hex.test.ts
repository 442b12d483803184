import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HexSyntaxError, fromHex, hex, loadHexFixture, parseHexSections, section, toHex } from '../../support/hex.js';

describe('fromHex', () => {
  it('reads groups of any even length, ignoring comments and blank lines', () => {
    const bytes = fromHex(`
      # a heartbeat frame
      08 0000 00000000  # type, channel, size
      ce                # frame-end
    `);
    expect([...bytes]).toEqual([0x08, 0, 0, 0, 0, 0, 0, 0xce]);
  });

  it('accepts upper and lower case and CRLF line ends', () => {
    expect([...fromHex('AbCd\r\nef # x\r\n')]).toEqual([0xab, 0xcd, 0xef]);
  });

  it('gives an empty buffer for text with only comments', () => {
    expect(fromHex('# nothing here\n   \n').length).toBe(0);
  });

  it('rejects an odd number of digits, naming line and column', () => {
    const fail = (): Buffer => fromHex('01 02\n  0a1 # bad\n');
    expect(fail).toThrow(HexSyntaxError);
    expect(fail).toThrow(/line 2, column 3: odd number of hex digits \(3\) in '0a1'/);
  });

  it('rejects non-hex characters, naming the character and line', () => {
    try {
      fromHex('00\n00\n0x10');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HexSyntaxError);
      const e = err as HexSyntaxError;
      expect(e.line).toBe(3);
      expect(e.column).toBe(1);
      expect(e.message).toMatch(/non-hex character 'x' in '0x10'/);
    }
  });

  it('offsets line numbers and names the source when asked', () => {
    expect(() => fromHex('zz', 41, 'f.hex')).toThrow(/^f\.hex:line 41, column 1: /);
  });
});

describe('hex template tag', () => {
  it('parses the literal text', () => {
    expect([...hex`01 0001 0000000d  # method frame, channel 1, size 13`]).toEqual([
      1, 0, 1, 0, 0, 0, 0x0d,
    ]);
  });

  it('keeps backslashes in comments literal', () => {
    expect([...hex`41 # 'A' is \x41`]).toEqual([0x41]);
  });

  it('splices interpolated bytes and hex strings', () => {
    const payload = Buffer.from('hi');
    expect([...hex`01 ${payload} ${'ce'}`]).toEqual([1, 0x68, 0x69, 0xce]);
    expect([...hex`${new Uint8Array(0)}ff`]).toEqual([0xff]);
  });

  it('rejects other interpolated values', () => {
    const tag = hex as unknown as (s: TemplateStringsArray, ...v: unknown[]) => Buffer;
    expect(() => tag(Object.assign(['', ''], { raw: ['', ''] }), 5)).toThrow(TypeError);
  });
});

describe('toHex', () => {
  const bytes = Buffer.from(Array.from({ length: 20 }, (_, i) => i));

  it('renders one byte per group, 16 per line by default', () => {
    expect(toHex(bytes)).toBe(
      '00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n10 11 12 13',
    );
  });

  it('groups bytes and wraps as asked', () => {
    expect(toHex(bytes.subarray(0, 7), { group: 2, line: 0 })).toBe('0001 0203 0405 06');
    expect(toHex(bytes.subarray(0, 6), { group: 4, line: 4 })).toBe('00010203\n0405');
  });

  it('honours the byte offset of a subarray', () => {
    const pooled = Buffer.from([0xaa, 0xbb, 0xcc, 0xdd]).subarray(1, 3);
    expect(toHex(pooled)).toBe('bb cc');
    expect(toHex(new Uint8Array(pooled.buffer, pooled.byteOffset + 1, 1))).toBe('cc');
  });

  it('gives an empty string for no bytes', () => {
    expect(toHex(Buffer.alloc(0))).toBe('');
  });

  it('round-trips through fromHex for every layout', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    for (const group of [1, 2, 3, 7, 300]) {
      for (const line of [0, 1, 5, 16]) {
        expect(fromHex(toHex(all, { group, line })).equals(all)).toBe(true);
      }
    }
  });

  it('rejects nonsense layouts', () => {
    expect(() => toHex(bytes, { group: 0 })).toThrow(RangeError);
    expect(() => toHex(bytes, { line: -1 })).toThrow(RangeError);
  });
});

describe('parseHexSections and loadHexFixture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hex-fixture-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const text = [
    '# file comment, no bytes',
    '## protocol header',
    '414d5150 00000901  # "AMQP" 0-9-1',
    '',
    '## heartbeat',
    '08 0000 00000000',
    'ce  # frame-end',
    '## empty',
  ].join('\n');

  it('splits named sections in order', () => {
    const sections = parseHexSections(text);
    expect([...sections.keys()]).toEqual(['protocol header', 'heartbeat', 'empty']);
    expect(sections.get('protocol header')?.toString('latin1')).toBe('AMQP\0\0\x09\x01');
    expect(toHex(sections.get('heartbeat') ?? Buffer.alloc(1), { line: 0 })).toBe('08 00 00 00 00 00 00 ce');
    expect(sections.get('empty')?.length).toBe(0);
  });

  it('keeps bytes before the first header under the empty name', () => {
    expect([...parseHexSections('01 02\n## a\n03').entries()]).toEqual([
      ['', Buffer.from([1, 2])],
      ['a', Buffer.from([3])],
    ]);
  });

  it('reports errors with the line number in the whole file', () => {
    expect(() => parseHexSections('## a\n00\n## b\n00\n0g', 'x.hex')).toThrow(/^x\.hex:line 5, column 1: non-hex/);
  });

  it('rejects repeated and empty section names', () => {
    expect(() => parseHexSections('## a\n00\n## a\n01')).toThrow(/line 3.*'a' appears twice/);
    expect(() => parseHexSections('##   \n00')).toThrow(/line 1.*without a name/);
  });

  it('loads a fixture file', () => {
    const path = join(dir, 'f.hex');
    writeFileSync(path, text);
    const fixture = loadHexFixture(path);
    expect(section(fixture, 'heartbeat').at(-1)).toBe(0xce);
    expect(() => section(fixture, 'hearbeat')).toThrow(/no fixture section 'hearbeat'; have: protocol header, heartbeat, empty/);
  });

  it('names the file in errors', () => {
    const path = join(dir, 'bad.hex');
    writeFileSync(path, '## a\n123\n');
    expect(() => loadHexFixture(path)).toThrow(`${path}:line 2, column 1: odd number of hex digits`);
  });
});

describe('committed pika fixtures', () => {
  const dir = fileURLToPath(new URL('../../fixtures/', import.meta.url));
  const files = readdirSync(dir).filter((f) => /^pika-.*\.hex$/.test(f));

  it('exist', () => {
    expect(files).toEqual(expect.arrayContaining(['pika-connection.hex', 'pika-basic.hex', 'pika-confirm.hex', 'pika-auth-failure.hex']));
  });

  // Each section must be exactly one frame (or the 8-byte protocol header), so golden tests can feed
  // a section to the frame parser and expect exactly one frame back.
  it.each(files)('%s holds one whole frame per section', (file) => {
    const fixture = loadHexFixture(join(dir, file));
    expect(fixture.size).toBeGreaterThan(0);
    expect(fixture.has('')).toBe(false);
    for (const [name, bytes] of fixture) {
      const where = `${file} ## ${name}: ${toHex(bytes.subarray(0, 8), { line: 0 })}`;
      if (bytes.subarray(0, 4).toString('latin1') === 'AMQP') {
        expect(bytes.length, where).toBe(8);
        continue;
      }
      expect([1, 2, 3, 8], where).toContain(bytes[0]);
      expect(bytes.length, where).toBeGreaterThanOrEqual(8);
      expect(bytes.readUInt32BE(3), where).toBe(bytes.length - 8);
      expect(bytes.at(-1), where).toBe(0xce);
    }
  });
});
