/**
 * The package as a user gets it: `npm pack` of a fresh build, installed into a scratch project,
 * then loaded from CommonJS (`require`) and from an ES module (`import`) and run against the real
 * broker, and the README's quick start typechecked by a strict TypeScript project against the
 * published types (from an ES module and from a `.cts` file), compiled and run until it exits.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerUrl, REPO_ROOT } from '../support/broker.js';

const exec = promisify(execFile);
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];

/** Run a command; rejects with everything it printed. */
async function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 << 20, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${stdout}${stderr}`);
  }
}

/** The first ```ts block after the README's "## Quick start" heading. */
function quickStart(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Quick start$/m)[1];
  const code = section?.match(/```ts\n([\s\S]*?)```/)?.[1];
  if (code === undefined) throw new Error('README.md has no ```ts block under "## Quick start"');
  return code;
}

const CJS = `const wire = require('amqp-wire');
const { connect, ConnectionClosedError } = wire;
(async () => {
  const conn = await connect(process.env.AMQP_URL);
  const ch = await conn.channel();
  const { queue } = await ch.queueDeclare('', { exclusive: true });
  ch.basicPublish('', queue, 'from require');
  const msg = await ch.basicGet(queue, { noAck: true });
  await conn.close();
  const esm = await import('amqp-wire');
  // require(esm) hands out the one ES module: no second copy, so instanceof holds across both.
  const same = esm.ConnectionClosedError === ConnectionClosedError && esm.connect === connect;
  console.log(JSON.stringify({ text: msg.text(), same, version: wire.VERSION, state: conn.state }));
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;

const MJS = `import { connect, VERSION } from 'amqp-wire';
const conn = await connect(process.env.AMQP_URL);
const ch = await conn.channel();
const { queue } = await ch.queueDeclare('', { exclusive: true });
ch.basicPublish('', queue, 'from import');
const msg = await ch.basicGet(queue, { noAck: true });
await conn.close();
console.log(JSON.stringify({ text: msg.text(), version: VERSION, state: conn.state }));
`;

/** CommonJS TypeScript: `import` in a .cts compiles to require() of the ES module. */
const CTS = `import { connect, type Connection } from 'amqp-wire';
export async function open(url: string): Promise<Connection> {
  return connect(url);
}
`;

describe('the packed package', () => {
  const work = mkdtempSync(join(tmpdir(), 'amqp-wire-pack-'));
  const stage = join(work, 'stage');
  const app = join(work, 'app');
  let files: string[] = [];
  const env = (): Record<string, string> => ({ AMQP_URL: brokerUrl() });

  beforeAll(async () => {
    // A copy of what the build reads, so the test neither writes the repository's dist/ nor
    // packs whatever an earlier build left there.
    mkdirSync(stage);
    for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'tsconfig.base.json', 'tsconfig.build.json', 'src']) {
      cpSync(join(REPO_ROOT, f), join(stage, f), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
    await sh(process.execPath, [TSC, '-p', 'tsconfig.build.json'], stage);
    const packed = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', work, ...NPM_FLAGS], stage)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed[0]!.files.map((f) => f.path);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await sh('npm', ['install', '--offline', ...NPM_FLAGS, join(work, packed[0]!.filename)], app);
    // @types/node as any Node project has it, listed nowhere in the tsconfig.
    mkdirSync(join(app, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules', '@types', 'node'), join(app, 'node_modules', '@types', 'node'), 'dir');
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('carries the LICENSE, the build and its declarations', () => {
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']));
    expect(readFileSync(join(app, 'node_modules', 'amqp-wire', 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/'))).toBe(false);
  });

  it('ships every file its source maps point at', () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const shipped = new Set(files);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(app, 'node_modules', 'amqp-wire', map), 'utf8')) as { sources: string[] };
      for (const s of sources) {
        const target = normalize(join(dirname(map), s));
        if (!shipped.has(target)) missing.push(`${map} -> ${s}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('loads with require() from CommonJS and talks to the broker', async () => {
    writeFileSync(join(app, 'main.cjs'), CJS);
    const out = JSON.parse(await sh(process.execPath, ['main.cjs'], app, env()));
    expect(out).toMatchObject({ text: 'from require', same: true, state: 'closed' });
    expect(out.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('loads with import from an ES module and talks to the broker', async () => {
    writeFileSync(join(app, 'main.mjs'), MJS);
    expect(JSON.parse(await sh(process.execPath, ['main.mjs'], app, env()))).toMatchObject({ text: 'from import', state: 'closed' });
  });

  it("typechecks the README's quick start under strict TypeScript, then runs it to its end", async () => {
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'src', 'quick-start.ts'), quickStart());
    writeFileSync(join(app, 'src', 'open.cts'), CTS);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true, skipLibCheck: false, outDir: 'out', rootDir: 'src',
      },
      include: ['src'],
    }));
    await expect(sh(process.execPath, [TSC, '-p', 'tsconfig.json'], app)).resolves.toBe('');
    const out = await sh(process.execPath, ['out/quick-start.js'], app, env());
    expect(out).toBe(' [x] Received Hello World!\n');
    const cjs = await sh(process.execPath, ['-e', "require('./out/open.cjs').open(process.env.AMQP_URL).then((c) => c.close()).then(() => console.log('closed'))"], app, env());
    expect(cjs).toBe('closed\n');
  });
});
