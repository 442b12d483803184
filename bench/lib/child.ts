/**
 * Run a peer benchmark in its own Node process and read the JSON object it prints.
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A child benchmark that failed to start, exited non-zero or printed no JSON. */
export class ChildBenchError extends Error {
  override readonly name = 'ChildBenchError';
}

/** Options for {@link runJsonChild}. */
export interface ChildOptions {
  /** Kill the child after this long (default 5 minutes). */
  timeoutMs?: number;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  nodeFlags?: readonly string[];
}

/**
 * Run `node script ...args`, pass its stderr through (progress lines), and parse the last line
 * of its stdout as JSON.
 */
export function runJsonChild(script: string, args: readonly string[], opts: ChildOptions = {}): Promise<unknown> {
  if (!existsSync(script)) return Promise.reject(new ChildBenchError(`peer benchmark not found: ${script}`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: opts.timeoutMs ?? 300_000,
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', (e) => reject(new ChildBenchError(`could not run ${script}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new ChildBenchError(`${script} exited with ${signal ?? `code ${code}`}`));
        return;
      }
      const lines = Buffer.concat(out).toString('utf8').trim().split('\n');
      try {
        resolve(JSON.parse(lines[lines.length - 1] ?? ''));
      } catch {
        reject(new ChildBenchError(`${script} printed no JSON on its last stdout line`));
      }
    });
  });
}
