/**
 * Running the built examples and CLI as child processes: wait for a line, collect output, stop
 * with a signal, and never leave a process behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/broker.js';

/** How a child ended. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  lines: string[];
}

const running = new Set<ChildProcess>();

const toLines = (text: string): string[] => {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};

/** A child started with {@link start}. */
export interface Child {
  readonly process: ChildProcess;
  /** stdout lines so far. */
  readonly lines: string[];
  /** Resolves once a stdout line matches (rejects if the child ends first or after `ms`). */
  waitForLine(match: RegExp | string, ms?: number): Promise<string>;
  /** Resolves when the child has exited. */
  readonly ended: Promise<Ended>;
}

/** Start `node <script> ...args` in the repository root, killed after `limitMs`. */
export function start(script: string, args: readonly string[], env: Record<string, string>, limitMs = 20_000): Child {
  const child = spawn(process.execPath, [join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const l of [...listeners]) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const ended = new Promise<Ended>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      for (const l of [...listeners]) l();
      resolve({ code, signal, stdout, stderr, lines: toLines(stdout) });
    });
  });
  let exited = false;
  void ended.then(() => (exited = true));
  const waitForLine = (match: RegExp | string, ms = 10_000): Promise<string> => new Promise((resolve, reject) => {
    const test = (l: string): boolean => (typeof match === 'string' ? l.includes(match) : match.test(l));
    const check = (): void => {
      const hit = lines.find(test);
      if (hit !== undefined) return done(() => resolve(hit));
      if (exited || child.exitCode !== null) done(() => reject(new Error(`${script} ended before printing ${String(match)}:\n${stdout}\n${stderr}`)));
    };
    const t = setTimeout(() => done(() => reject(new Error(`${script} did not print ${String(match)} within ${ms} ms:\n${stdout}\n${stderr}`))), ms);
    const done = (settle: () => void): void => {
      clearTimeout(t);
      listeners.delete(check);
      settle();
    };
    listeners.add(check);
    check();
  });
  return { process: child, lines, waitForLine, ended };
}

/** Run `node <script> ...args` to its end. */
export function run(script: string, args: readonly string[], env: Record<string, string>, limitMs = 30_000): Promise<Ended> {
  return start(script, args, env, limitMs).ended;
}

/** Kill every child still running (for afterEach/afterAll). */
export async function killAll(): Promise<void> {
  const children = [...running];
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once('close', resolve)))));
}

/** Compile with tsc; rejects with the compiler's output when it fails. */
export function compile(project: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: REPO_ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tsc -p ${project} failed:\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
