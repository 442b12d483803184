/**
 * The CLI and the examples are users of the package: they import its entry (src/index.ts) and
 * nothing else of it, so whatever they need is public API. Also allowed: `node:` built-ins,
 * files of their own folder, (CLI) the tools in src/tools, which are built on the internals on
 * purpose (a trace decodes frames with the protocol layer), and (examples) the package name itself and the CLI's Python-repr
 * formatter, which is text formatting shared with the CLI and imports nothing of the package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './internal-names.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = join(ROOT, 'src', 'index.ts');
const REPR_FORMATTER = join(ROOT, 'src', 'cli', 'format.ts');
/** The tools behind CLI commands (trace, perf): built on the protocol layer, used by the CLI alone. */
const TOOLS = join(ROOT, 'src', 'tools');
const PACKAGE_NAME = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string }).name;

/** Every module specifier in a source text: static and type imports, re-exports, `import()`. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of code.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

/**
 * The specifiers in `text` (the file `file`, whose own folder is `home`) that reach past the
 * package entry.
 */
function violations(file: string, home: string, text: string, allowed: readonly string[] = []): string[] {
  return specifiers(text).filter((spec) => {
    if (spec.startsWith('node:')) return false;
    if (allowed.includes(spec)) return false;
    if (!spec.startsWith('.')) return true;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (target === ENTRY || allowed.some((a) => target === a || target.startsWith(a + sep))) return false;
    return !(target + sep).startsWith(home + sep) && !target.startsWith(home + sep);
  });
}

function check(folder: string, allowed: readonly string[] = []): string[] {
  const home = join(ROOT, folder);
  return sourceFiles(home).flatMap((file) =>
    violations(file, home, readFileSync(file, 'utf8'), allowed).map((spec) => `${relative(ROOT, file)}: '${spec}'`));
}

describe('users of the package import only its entry', () => {
  it('src/cli imports the package entry, src/tools, node: built-ins and its own files', () => {
    expect(sourceFiles(join(ROOT, 'src', 'cli')).length).toBeGreaterThan(0);
    expect(check(join('src', 'cli'), [TOOLS])).toEqual([]);
  });

  it('src/tools is the only internal folder the CLI may reach', () => {
    const home = join(ROOT, 'src', 'cli');
    const file = join(home, 'commands', 'x.ts');
    const text = "import { Tracer } from '../../tools/trace/index.js';\nimport { Session } from '../../protocol/session.js';";
    expect(violations(file, home, text, [TOOLS])).toEqual(['../../protocol/session.js']);
  });

  it('examples import the package entry (or the package name), node: built-ins and their own files', () => {
    expect(sourceFiles(join(ROOT, 'examples')).length).toBeGreaterThan(0);
    expect(check('examples', [PACKAGE_NAME, REPR_FORMATTER])).toEqual([]);
  });

  it('the repr formatter the examples share with the CLI imports nothing', () => {
    expect(specifiers(readFileSync(REPR_FORMATTER, 'utf8'))).toEqual([]);
  });

  it('flags a reach past the entry, in any import form', () => {
    const home = join(ROOT, 'src', 'cli');
    const file = join(home, 'commands', 'x.ts');
    const text = [
      "import { connect } from '../../index.js';",
      "import type {\n  Channel,\n} from '../../client/channel.js';",
      "export { typed } from '../../frames/field-table.js';",
      "import '../../client/connect.js';",
      "const m = await import('../../methods/codec.js');",
      "import { parseArgs } from 'node:util';",
      "import { ExitCode } from '../args.js';",
      "import { thing } from 'some-package';",
      "// import { hidden } from '../../client/hidden.js';",
    ].join('\n');
    expect(violations(file, home, text)).toEqual([
      '../../client/channel.js', '../../frames/field-table.js', 'some-package', '../../client/connect.js', '../../methods/codec.js',
    ]);
  });
});
