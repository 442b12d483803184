/**
 * Runs every (round, workload, client) of a client benchmark, each in a child process of its own,
 * with the client order rotated from one workload and round to the next so no client always runs
 * first (on a warm broker) or last (after the others heated the machine).
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';
import { runJsonChild } from '../lib/child.js';
import { formatCount, sig3 } from '../lib/stats.js';
import { progress } from '../lib/table.js';
import type { ClientInfo } from './clients.js';
import type { RunResult, Workload } from './workloads.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** What to run. */
export interface Plan {
  readonly workloads: readonly Workload[];
  readonly clients: readonly ClientInfo[];
  readonly rounds: number;
  readonly url: string;
  /** Child flags for a workload (`--time`, `--count`, ...); `--client`, `--workload`, `--url` are added. */
  readonly childArgs: (w: Workload) => string[];
  /** Called before every run (purge a queue, fill one). */
  readonly prepare?: (w: Workload, c: ClientInfo) => Promise<void>;
  readonly quiet: boolean;
  /** Kill a child after this long. */
  readonly childTimeoutMs: number;
  /** Extra `node` flags for a client's children (e.g. `--cpu-prof`). */
  readonly nodeFlags?: (c: ClientInfo) => string[];
}

/** Every round's result (or error) of every workload and client. */
export interface Outcome {
  /** workload name -> client id -> the result of each round (undefined where the run failed). */
  readonly results: Map<string, Map<string, (RunResult | undefined)[]>>;
  /** `round workload client: message` for runs that failed. */
  readonly failures: string[];
}

/** `rotate([a, b, c], 1)` is `[b, c, a]`. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function describe(r: RunResult, w: Workload): string {
  return `${formatCount(r.opsPerSec).padStart(7)} ${w.unit}/s  ${sig3(r.cpuUsPerOp).padStart(5)} us/${w.unit}  ${String(r.peakRssMiB).padStart(5)} MiB`;
}

/** Run the plan; failures are reported and skipped, never fatal. */
export async function runPlan(plan: Plan): Promise<Outcome> {
  const results = new Map<string, Map<string, (RunResult | undefined)[]>>();
  const failures: string[] = [];
  const total = plan.rounds * plan.workloads.length * plan.clients.length;
  const width = String(total).length;
  const t0 = performance.now();
  let done = 0;
  for (let round = 0; round < plan.rounds; round++) {
    for (const [wi, w] of plan.workloads.entries()) {
      for (const c of rotate(plan.clients, round + wi)) {
        const tag = `[${String(done + 1).padStart(width)}/${total}] round ${round + 1} ${w.name.padEnd(17)} ${c.id.padEnd(22)}`;
        try {
          await plan.prepare?.(w, c);
          const args = ['--client', c.id, '--workload', w.name, '--url', plan.url, ...plan.childArgs(w)];
          const nodeFlags = plan.nodeFlags?.(c) ?? [];
          const r = (await runJsonChild(CHILD, args, { timeoutMs: plan.childTimeoutMs, nodeFlags })) as RunResult;
          let byClient = results.get(w.name);
          if (!byClient) results.set(w.name, (byClient = new Map()));
          let list = byClient.get(c.id);
          if (!list) byClient.set(c.id, (list = []));
          list[round] = r;
          done++;
          const elapsed = (performance.now() - t0) / 1000;
          progress(`${tag} ${describe(r, w)}  (${clock(elapsed)}, ~${clock((elapsed / done) * (total - done))} left)`, plan.quiet);
        } catch (e) {
          done++;
          const msg = e instanceof Error ? e.message : String(e);
          failures.push(`round ${round + 1} ${w.name} ${c.id}: ${msg}`);
          progress(`${tag} FAILED: ${msg}`, plan.quiet);
        }
      }
    }
  }
  return { results, failures };
}
