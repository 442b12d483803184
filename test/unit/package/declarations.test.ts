/**
 * The published declarations: the build's own emit (tsconfig.build.json) keeps no member marked
 * `@internal` in src, and a strict TypeScript project that installs the package compiles against
 * them without skipLibCheck, so a stripped member that a public type still names shows up here.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredIn, internalDecls, stripComments, type InternalDecl } from './internal-names.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** tsc with the repository's compiler; resolves with its output, rejects with it on errors. */
async function tsc(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [TSC, ...args], { cwd: ROOT, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

function dtsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts')).map((f) => join(dir, f));
}

function readDts(outDir: string, decl: InternalDecl): string {
  const path = join(outDir, decl.file.replace(/\.ts$/, '.d.ts'));
  if (!existsSync(path)) throw new Error(`no declaration file for src/${decl.file} in ${outDir}`);
  return stripComments(readFileSync(path, 'utf8'));
}

function where(d: InternalDecl): string {
  return `src/${d.file}:${d.line} ${d.container === null ? '' : `${d.container}.`}${d.name}`;
}

/** A consumer of the package: what a user writes first, checked with strict settings. */
const CONSUMER = `import { connect, AMQPError, ConnectionClosedError, type Channel, type Connection, type Message } from 'amqp-wire';
import * as wire from 'amqp-wire';

export async function roundTrip(url: string): Promise<string> {
  const conn: Connection = await connect(url);
  try {
    const ch: Channel = await conn.channel();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const got = new Promise<string>((resolve) => {
      void ch.basicConsume(queue, (msg: Message) => resolve(msg.text()), { noAck: true });
    });
    ch.basicPublish('', queue, 'hello', { contentType: 'text/plain' });
    return await got;
  } catch (err) {
    if (err instanceof ConnectionClosedError) return err.replyText;
    if (err instanceof AMQPError) return err.message;
    throw err;
  } finally {
    await conn.close();
  }
}

export const version: string = wire.VERSION;

export function events(conn: Connection, ch: Channel): void {
  conn.on('blocked', (reason: string) => console.log(reason));
  ch.on('return', (returned) => console.log(returned.fields.replyText));
  // @ts-expect-error a misspelt event name
  conn.on('blokced', () => undefined);
  // @ts-expect-error \`cancel\` passes a consumer tag
  ch.on('cancel', (tag: number) => console.log(tag));
}

export async function scoped(url: string): Promise<boolean> {
  await using conn = await connect(url);
  await using ch = await conn.channel();
  await ch.exchangeDeclare('delayed', 'x-delayed-message');
  return conn.isOpen && ch.isOpen;
}
`;

describe('published declarations', () => {
  const work = mkdtempSync(join(tmpdir(), 'amqp-wire-dts-'));
  const pkgDir = join(work, 'consumer', 'node_modules', 'amqp-wire');
  const stripped = join(pkgDir, 'dist');
  const kept = join(work, 'kept');
  const decls = internalDecls(join(ROOT, 'src'));

  beforeAll(async () => {
    const emit = ['-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--declarationMap', 'false'];
    await Promise.all([
      tsc([...emit, '--outDir', stripped]),
      tsc([...emit, '--outDir', kept, '--stripInternal', 'false']),
    ]);
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('finds the @internal marks in src, each on a member of a named class or interface, or top level', () => {
    expect(decls.length).toBeGreaterThan(0);
    expect(decls.filter((d) => d.container === '?').map(where)).toEqual([]);
  });

  it('sees every marked member of an emitted class when the emit keeps them (the check is not blind)', () => {
    const unseen = decls.filter((d) => d.container !== null && !declaredIn(readDts(kept, d), d)
      // a class or interface the emit leaves out altogether has nothing to see
      && new RegExp(`^(?:export\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:class|interface)\\s+${d.container}\\b`, 'm').test(readDts(kept, d)));
    expect(unseen.map(where)).toEqual([]);
    expect(decls.filter((d) => declaredIn(readDts(kept, d), d)).length).toBeGreaterThan(0);
  });

  it('the build emit (tsconfig.build.json) declares none of them', () => {
    expect(decls.filter((d) => declaredIn(readDts(stripped, d), d)).map(where)).toEqual([]);
    const tagged = dtsFiles(stripped).filter((f) => /@internal\b/.test(readFileSync(f, 'utf8')));
    expect(tagged).toEqual([]);
  });

  it('a strict project importing the package compiles against them without skipLibCheck, and with no `types` listed', async () => {
    copyFileSync(join(ROOT, 'package.json'), join(pkgDir, 'package.json'));
    const consumer = join(work, 'consumer');
    mkdirSync(join(consumer, 'src'), { recursive: true });
    // @types/node installed, as in any Node project, but not named in the tsconfig: the package's
    // declarations have to pull it in themselves.
    mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(consumer, 'src', 'main.ts'), CONSUMER);
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true,
        exactOptionalPropertyTypes: true, skipLibCheck: false, noEmit: true,
        // TypeScript 6 and later include no @types package unless listed; say so for older ones too.
        types: [],
      },
      include: ['src'],
    }));
    await expect(tsc(['-p', join(consumer, 'tsconfig.json')])).resolves.toBe('');
  }, 120_000);
});
