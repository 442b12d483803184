/**
 * vitest globalSetup for the cluster project: provides the endpoints of the 3-node cluster of
 * `scripts/cluster.sh` as `cluster`, and at teardown stops the cluster unless it was running
 * before the run. The cluster itself starts in each test file's `beforeAll` (`startCluster`), so
 * that its nodes boot when the cluster project's turn comes, not while the other projects run
 * their timing tests. rabbitmq-server must be installed; there is no fallback, and a cluster that
 * cannot start fails the cluster tests with the script's error.
 *
 * The cluster tests kill nodes, so two test runs on one host (from any checkout: node names and
 * ports are per host) must not use the cluster at once. A host-wide lock, held by a `flock` child
 * process for the whole run, makes a second run wait; it is released when the run ends, also when
 * the run dies, because the child exits as soon as its stdin closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { rabbitmqServerInstalled } from './broker.js';
import { ClusterError, type ClusterInfo, parseClusterEnv, runClusterScript } from './cluster.js';

const LOCK_FILE = join(tmpdir(), 'amqp-wire-cluster.lock');
const LOCK_WAIT_S = Number(process.env['AMQPWIRE_CLUSTER_LOCK_WAIT'] ?? 600);

/** Provides the cluster to the tests as `cluster`, and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!rabbitmqServerInstalled()) {
    throw new ClusterError(
      'the cluster tests need rabbitmq-server installed on this machine (bash scripts/install-system-deps.sh)',
    );
  }
  const lock = await takeLock();
  try {
    const wasRunning = await runClusterScript(['status'], 60_000).then(
      () => true,
      () => false,
    );
    const { urls, nodes } = parseClusterEnv(await runClusterScript(['env'], 10_000));
    const info: ClusterInfo = { urls, nodes, managed: !wasRunning };
    project.provide('cluster', info);
    const how = wasRunning ? 'already running' : 'to be started by the first cluster test file';
    console.log(`[cluster] ${nodes.join(', ')} on ${urls.map((u) => new URL(u).port).join(', ')}: ${how}`);
    return async () => {
      try {
        if (!wasRunning) await runClusterScript(['stop'], 120_000);
      } finally {
        releaseLock(lock);
      }
    };
  } catch (e) {
    releaseLock(lock);
    throw e;
  }
}

/** Waits up to LOCK_WAIT_S for the host-wide cluster lock; resolves with the process holding it. */
function takeLock(): Promise<ChildProcess> {
  return new Promise((done, fail) => {
    // flock runs `cat` while it holds the lock; cat ends when our end of its stdin closes.
    const child = spawn(
      'flock',
      ['-w', String(LOCK_WAIT_S), LOCK_FILE, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('locked')) done(child);
    });
    child.on('error', (err) =>
      fail(new ClusterError(`cannot run flock (util-linux) for ${LOCK_FILE}: ${err.message}`)),
    );
    child.on('exit', (code) => {
      if (!seen.includes('locked')) {
        fail(
          new ClusterError(
            `another test run has held ${LOCK_FILE} (the cluster) for more than ${LOCK_WAIT_S} s (flock exit ${code})`,
          ),
        );
      }
    });
  });
}

function releaseLock(child: ChildProcess): void {
  child.stdin?.end();
}
