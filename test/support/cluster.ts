/**
 * The 3-node RabbitMQ cluster of `scripts/cluster.sh`, as the cluster tests see it.
 *
 * The `cluster` project's global setup (`cluster-setup.ts`) provides a {@link ClusterInfo} through
 * vitest's `provide`/`inject`; each test file calls {@link setUpClusterTests}, which starts the
 * cluster (if it is not running yet) before the file, reads it with {@link clusterInfo} and
 * crashes or revives nodes with {@link killNode} and {@link restartNode}. After each test,
 * {@link restartKilledNodes} brings back whatever the test killed, so that every test starts with
 * three running nodes.
 */
import { join } from 'node:path';
import { afterEach, beforeAll, inject } from 'vitest';
import type { Channel } from '../../src/index.js';
import { parseExports, REPO_ROOT, runScript } from './broker.js';
import { type ConnectionTracker, type OpenChannel, trackConnections } from './connections.js';
import { queueName } from './names.js';

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
  return runScript(
    CLUSTER_SCRIPT,
    args,
    timeoutMs,
    (why) => new ClusterError(`scripts/cluster.sh ${args.join(' ')} failed: ${why}`),
  );
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
  const vars = parseExports(text);
  const value = (name: string): string[] => {
    const list = vars.get(name);
    if (list === undefined) throw new ClusterError(`scripts/cluster.sh env printed no ${name}`);
    return list.split(',');
  };
  return { urls: value('AMQP_CLUSTER_URLS'), nodes: value('AMQP_CLUSTER_NODES') };
}

/** What {@link setUpClusterTests} gives a cluster test file. */
export interface ClusterTests {
  /** The file's connections, closed after each test. */
  connections: ConnectionTracker;
  /** A tracked connection to node `n` and a channel on it. */
  openOn(n: NodeNumber): Promise<OpenChannel>;
  /** A channel on a tracked connection to node `n`. */
  channelOn(n: NodeNumber): Promise<Channel>;
  /** Declares a quorum queue through `ch` (its leader goes to that node) and deletes it after the test. */
  quorumQueue(ch: Channel, label: string): Promise<string>;
}

/**
 * The setup every cluster test file shares; call it once at the top of the file. Starts the
 * cluster before the file; after each test closes the test's connections, restarts the nodes it
 * killed and deletes its quorum queues (through node 1, so that they go whichever node is down).
 */
export function setUpClusterTests(): ClusterTests {
  beforeAll(startCluster, CLUSTER_START_TIMEOUT_MS);
  const connections = trackConnections();
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await connections.closeAll();
    await restartKilledNodes();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await connections.closeAll();
  });
  const openOn = async (n: NodeNumber): Promise<OpenChannel> => {
    const conn = await connections.open(nodeUrl(n));
    return { conn, ch: await conn.channel() };
  };
  return {
    connections,
    openOn,
    channelOn: async (n) => (await openOn(n)).ch,
    async quorumQueue(ch, label) {
      const queue = queueName(label);
      await ch.queueDeclare(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      cleanups.push(async () => (await openOn(1)).ch.queueDelete(queue));
      return queue;
    },
  };
}
