/**
 * Annotated hex: the text form of every byte fixture in the tests.
 *
 * ```text
 * ## queue.declare
 * 01 0001 0000000d  # method frame, channel 1, size 13
 * 0032 000a         # queue.declare
 * ```
 *
 * `#` starts a comment that runs to the end of the line; whitespace separates groups of hex digits,
 * and a group may hold any even number of digits. A line whose first non-blank characters are `##`
 * names a section in a fixture file.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';

/** The text is not annotated hex. Carries the 1-based line and column of the offending group. */
export class HexSyntaxError extends Error {
  override name = 'HexSyntaxError';
  /** 1-based line number within the parsed text (or file). */
  readonly line: number;
  /** 1-based column of the start of the bad group. */
  readonly column: number;
  constructor(message: string, line: number, column: number, source?: string) {
    super(`${source === undefined ? '' : `${source}:`}line ${line}, column ${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}

const HEX_GROUP = /^[0-9a-fA-F]*$/;
const GROUP = /\S+/g;

/** Parses one line (comment already cut off) into `out`. */
function parseLine(text: string, line: number, out: number[], source?: string): void {
  for (const match of text.matchAll(GROUP)) {
    const group = match[0];
    const column = (match.index ?? 0) + 1;
    if (!HEX_GROUP.test(group)) {
      const bad = [...group].find((c) => !/[0-9a-fA-F]/.test(c)) ?? group;
      throw new HexSyntaxError(`non-hex character '${bad}' in '${group}'`, line, column, source);
    }
    if (group.length % 2 !== 0) {
      throw new HexSyntaxError(`odd number of hex digits (${group.length}) in '${group}'`, line, column, source);
    }
    for (let i = 0; i < group.length; i += 2) out.push(Number.parseInt(group.slice(i, i + 2), 16));
  }
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return hash < 0 ? line : line.slice(0, hash);
}

/**
 * Parses annotated hex into bytes. Throws {@link HexSyntaxError} naming the line for a group with
 * an odd number of digits or a character that is not a hex digit.
 * @param firstLine - line number of the text's first line, for error messages (default 1).
 * @param source - name put in front of error messages (a file path).
 */
export function fromHex(text: string, firstLine = 1, source?: string): Buffer {
  const bytes: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    parseLine(stripComment(line), firstLine + i, bytes, source);
  });
  return Buffer.from(bytes);
}

/**
 * Template tag for inline fixtures: `` hex`01 0001 0000000d  # method frame` ``. An interpolated
 * `Uint8Array` is spliced in as its bytes; an interpolated string is read as more annotated hex.
 * Raw template text is used, so backslashes in comments need no escaping.
 */
export function hex(strings: TemplateStringsArray, ...values: ReadonlyArray<Uint8Array | string>): Buffer {
  let text = strings.raw[0] ?? '';
  values.forEach((value, i) => {
    if (value instanceof Uint8Array) text += ` ${toHex(value, { line: 0 })} `;
    else if (typeof value === 'string') text += value;
    else throw new TypeError(`hex\`\`: cannot interpolate a ${typeof value}; use a Uint8Array or a string`);
    text += strings.raw[i + 1] ?? '';
  });
  return fromHex(text);
}

/** Layout for {@link toHex}. */
export interface ToHexOptions {
  /** Bytes per space-separated group (default 1). */
  group?: number;
  /** Bytes per line; 0 puts everything on one line (default 16). */
  line?: number;
}

/**
 * Renders bytes as hex that {@link fromHex} reads back: `toHex(buf, { group: 2 })` gives
 * `0100 0100 0000 0d...`. Meant for failure messages and for writing new fixtures.
 */
export function toHex(bytes: Uint8Array, options: ToHexOptions = {}): string {
  const group = options.group ?? 1;
  const perLine = options.line ?? 16;
  if (!Number.isInteger(group) || group < 1) throw new RangeError(`toHex: group must be a positive integer, got ${group}`);
  if (!Number.isInteger(perLine) || perLine < 0) throw new RangeError(`toHex: line must be a non-negative integer, got ${perLine}`);
  const digits = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const lines: string[] = [];
  const lineChars = perLine === 0 ? digits.length || 1 : perLine * 2;
  for (let start = 0; start < digits.length; start += lineChars) {
    const chunk = digits.slice(start, start + lineChars);
    const groups: string[] = [];
    for (let g = 0; g < chunk.length; g += group * 2) groups.push(chunk.slice(g, g + group * 2));
    lines.push(groups.join(' '));
  }
  return lines.join('\n');
}

const SECTION = /^\s*##\s*(.*?)\s*$/;

/**
 * Splits annotated hex into named sections. A line `## name` starts the section `name`; ordinary
 * `#` comments may appear anywhere. Bytes before the first section header belong to the section
 * named `''`. Throws {@link HexSyntaxError} on an empty or repeated section name.
 */
export function parseHexSections(text: string, source?: string): Map<string, Buffer> {
  const sections = new Map<string, Buffer>();
  const lines = text.split(/\r?\n/);
  let name = '';
  let startLine = 1;
  let body: string[] = [];
  const flush = (): void => {
    const bytes = fromHex(body.join('\n'), startLine, source);
    if (name !== '' || bytes.length > 0) sections.set(name, bytes);
  };
  lines.forEach((line, i) => {
    const header = SECTION.exec(line);
    if (header === null) {
      body.push(line);
      return;
    }
    flush();
    name = header[1] ?? '';
    if (name === '') throw new HexSyntaxError('section header without a name', i + 1, 1, source);
    if (sections.has(name)) throw new HexSyntaxError(`section '${name}' appears twice`, i + 1, 1, source);
    startLine = i + 2;
    body = [];
  });
  flush();
  return sections;
}

/** Reads a `.hex` fixture file into its named sections (see {@link parseHexSections}). */
export function loadHexFixture(path: string | URL): Map<string, Buffer> {
  return parseHexSections(readFileSync(path, 'utf8'), String(path));
}

/**
 * Looks up one section of a loaded fixture, throwing a clear error when it is missing, so that a
 * typo in a test names the section and the sections that exist.
 */
export function section(fixture: ReadonlyMap<string, Buffer>, name: string): Buffer {
  const bytes = fixture.get(name);
  if (bytes === undefined) {
    throw new Error(`no fixture section '${name}'; have: ${[...fixture.keys()].join(', ')}`);
  }
  return bytes;
}
