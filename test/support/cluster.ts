/**
 * The 3-node RabbitMQ cluster of `scripts/cluster.sh`, as the cluster tests see it.
 *
 * The `cluster` project's global setup (`cluster-setup.ts`) provides a {@link ClusterInfo} through
 * vitest's `provide`/`inject`; each test file starts the cluster (if it is not running yet) with
 * `beforeAll(startCluster, CLUSTER_START_TIMEOUT_MS)`, reads it with {@link clusterInfo} and
 * crashes or revives nodes with {@link killNode} and {@link restartNode}.
 * {@link restartKilledNodes} in an `afterEach` brings back whatever a test killed, so that every
 * test starts with three running nodes.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { REPO_ROOT } from './broker.js';

/** What the cluster project's global setup provides to every cluster test file. */
export interface ClusterInfo {
  /** AMQP URL of node N at index N - 1 (`amqp://guest:guest@127.0.0.1:568N/`). */
  urls: string[];
  /** Erlang node name of node N at index N - 1 (`nN@localhost`). */
  nodes: string[];
  /** True when the cluster was not running before this run, which stops it in teardown. */
  managed: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

/** Thrown when `scripts/cluster.sh` fails or the cluster was not provided. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

/** A node number: 1, 2 or 3. */
export type NodeNumber = 1 | 2 | 3;

/** Path of the cluster script. */
export const CLUSTER_SCRIPT = join(REPO_ROOT, 'scripts', 'cluster.sh');

/** Runs `scripts/cluster.sh <args>` and resolves with its stdout; rejects with its last stderr line. */
export function runClusterScript(args: readonly string[], timeoutMs = 300_000): Promise<string> {
  return new Promise((done, fail) => {
    execFile('bash', [CLUSTER_SCRIPT, ...args], { timeout: timeoutMs, cwd: REPO_ROOT }, (error, stdout, stderr) => {
      if (error === null) return done(stdout);
      const why = error.killed
        ? `timed out after ${timeoutMs} ms`
        : (stderr.trim().split('\n').at(-1) ?? '') || stdout.trim() || error.message;
      fail(new ClusterError(`scripts/cluster.sh ${args.join(' ')} failed: ${why}`));
    });
  });
}

/** How long {@link startCluster} may take: a first start boots three nodes and joins two. */
export const CLUSTER_START_TIMEOUT_MS = 300_000;

/**
 * `scripts/cluster.sh start`: starts whatever node is not running and waits for all three in one
 * cluster; a few seconds when all run already.
 */
export async function startCluster(): Promise<void> {
  await runClusterScript(['start'], CLUSTER_START_TIMEOUT_MS);
}

/** The cluster the global setup found. Throws when the file runs outside the cluster project. */
export function clusterInfo(): ClusterInfo {
  const info = inject('cluster');
  if (info === undefined) {
    throw new ClusterError(
      'no cluster was provided: run this file in the vitest "cluster" project (its globalSetup starts one)',
    );
  }
  return info;
}

/** AMQP URL of node `n`. */
export function nodeUrl(n: NodeNumber): string {
  const url = clusterInfo().urls[n - 1];
  if (url === undefined) throw new ClusterError(`the cluster has no node ${n}`);
  return url;
}

const killed = new Set<NodeNumber>();

/** `kill -9` of node `n`: the OS closes its sockets, its peers see it vanish. */
export async function killNode(n: NodeNumber): Promise<void> {
  killed.add(n);
  await runClusterScript(['kill', String(n)], 30_000);
}

/** Starts node `n` again and resolves once it runs and has rejoined the cluster. */
export async function restartNode(n: NodeNumber): Promise<void> {
  await runClusterScript(['restart', String(n)]);
  killed.delete(n);
}

/** Brings back every node killed since the last call (all at once when several are down). */
export async function restartKilledNodes(): Promise<void> {
  if (killed.size === 0) return;
  const [only] = killed;
  if (killed.size === 1 && only !== undefined) await restartNode(only);
  else await runClusterScript(['start']);
  killed.clear();
}

/** Parses `export NAME='value'` lines as printed by `scripts/cluster.sh env`. */
export function parseClusterEnv(text: string): { urls: string[]; nodes: string[] } {
  const value = (name: string): string[] => {
    const match = new RegExp(`^export ${name}='([^']*)'$`, 'm').exec(text);
    if (match?.[1] === undefined) throw new ClusterError(`scripts/cluster.sh env printed no ${name}`);
    return match[1].split(',');
  };
  return { urls: value('AMQP_CLUSTER_URLS'), nodes: value('AMQP_CLUSTER_NODES') };
}
