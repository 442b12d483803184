/**
 * Finds the declarations marked `@internal` in the sources, and looks for them in emitted `.d.ts`
 * text. Both sides are read as text laid out the way this repository and tsc lay it out: one
 * declaration per line, members indented inside their class or interface.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One declaration whose doc comment carries `@internal`. */
export interface InternalDecl {
  /** Source path relative to the source root, with `/` separators (`client/connection.ts`). */
  readonly file: string;
  /** 1-based line of the declaration. */
  readonly line: number;
  /** The class or interface it is a member of; null for a top-level declaration. */
  readonly container: string | null;
  /** The declared name; `constructor` for a constructor. */
  readonly name: string;
}

const MODIFIER = /^(?:export|declare|default|public|protected|private|readonly|static|abstract|async|override|accessor|get|set|const|let|var|function\*?|class|interface|type|enum|namespace)\s+(?=[#\w$[])/;
const NAME = /^(#?[A-Za-z_$][\w$]*)/;
const CONTAINER = /^(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|interface)\s+([A-Za-z_$][\w$]*)/;

/** Every `.ts` file under `dir`, recursively, sorted. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** The declarations marked `@internal` in one source text. Throws on a mark it cannot place. */
export function internalDeclsIn(file: string, text: string): InternalDecl[] {
  const found: InternalDecl[] = [];
  for (const doc of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    if (!/(?:^|[\s*{])@internal\b/.test(doc[0])) continue;
    let rest = text.slice(doc.index + doc[0].length).trimStart();
    for (let m = MODIFIER.exec(rest); m; m = MODIFIER.exec(rest)) rest = rest.slice(m[0].length);
    const name = NAME.exec(rest)?.[1];
    const line = text.slice(0, doc.index).split('\n').length;
    if (name === undefined) throw new Error(`${file}:${line}: cannot read the name after an @internal comment`);
    found.push({ file, line, container: containerAt(text, doc.index), name });
  }
  return found;
}

/** All `@internal` declarations under a source root. */
export function internalDecls(srcRoot: string): InternalDecl[] {
  return sourceFiles(srcRoot).flatMap((path) =>
    internalDeclsIn(relative(srcRoot, path).split('\\').join('/'), readFileSync(path, 'utf8')));
}

/**
 * The class or interface enclosing `offset`: the nearest line above it that starts at column 0,
 * if that line opens a class or interface. An indented declaration under anything else (an object
 * literal, a function body) gets the container `?`, which no `.d.ts` block is named.
 */
function containerAt(text: string, offset: number): string | null {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  if (!/^\s/.test(text.slice(lineStart, lineStart + 1))) return null;
  const above = text.slice(0, lineStart).split('\n').reverse();
  for (const line of above) {
    if (line === '' || /^[\s}/*]/.test(line)) continue;
    return CONTAINER.exec(line)?.[1] ?? '?';
  }
  return '?';
}

/** `.d.ts` text with its comments removed, so doc text mentioning a name does not count. */
export function stripComments(dts: string): string {
  return dts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function escapeRegExp(name: string): string {
  return name.replace(/[$]/g, '\\$');
}

/** Whether the emitted `.d.ts` text (comments stripped) still declares `decl`. */
export function declaredIn(dts: string, decl: InternalDecl): boolean {
  const name = escapeRegExp(decl.name);
  if (decl.container === null) {
    const topLevel = new RegExp(`^(?:export\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:function|class|interface|type|enum|namespace|const|let|var)\\s+${name}\\b`, 'm');
    const reExport = new RegExp(`^export\\s+(?:type\\s+)?\\{[^}]*\\b${name}\\b[^}]*\\}`, 'm');
    return topLevel.test(dts) || reExport.test(dts);
  }
  const body = blockOf(dts, decl.container);
  if (body === null) return false;
  const member = new RegExp(`^\\s+(?:(?:public|protected|private|readonly|static|abstract|override|accessor|get|set)\\s+)*${name}[?!]?\\s*[(<:;=]`, 'm');
  return member.test(body);
}

/** The lines between `class Name {` (or `interface`) at column 0 and its closing `}` at column 0. */
function blockOf(dts: string, container: string): string | null {
  const lines = dts.split('\n');
  const start = lines.findIndex((l) => CONTAINER.exec(l)?.[1] === container);
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('}'));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}
