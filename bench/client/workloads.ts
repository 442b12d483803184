/**
 * The workloads of the client benchmarks, and the shapes the parent and the per-client child
 * processes exchange. Shared by the real-broker bench (`broker.ts`) and the client-ceiling bench
 * against the fake broker (`ceiling.ts`).
 * @packageDocumentation
 */

/** A run that cannot go on or cannot be trusted (no broker, a queue not holding what was sent). */
export class BenchError extends Error {
  override readonly name = 'BenchError';
}

/** What a workload does. */
export type WorkloadKind = 'publish' | 'confirm' | 'consume' | 'rpc';

/** One workload. */
export interface Workload {
  /** Case name in tables and JSON, e.g. `publish/16B`. */
  readonly name: string;
  readonly kind: WorkloadKind;
  /** Message body size in bytes. */
  readonly bodySize: number;
  /** Consume without acknowledgements (consume workloads only). */
  readonly noAck: boolean;
  /** What one operation is: a message or a round trip. */
  readonly unit: 'msg' | 'rt';
  /** One line on what is measured, for `--help` and the README. */
  readonly about: string;
}

function workload(name: string, kind: WorkloadKind, bodySize: number, about: string, noAck = false): Workload {
  return { name, kind, bodySize, noAck, unit: kind === 'rpc' ? 'rt' : 'msg', about };
}

/** Every workload, in report order. */
export const WORKLOADS: readonly Workload[] = [
  workload('publish/16B', 'publish', 16, 'fire-and-forget publish to a queue, honouring backpressure'),
  workload('publish/1KiB', 'publish', 1024, 'fire-and-forget publish of 1 KiB bodies'),
  workload('confirm/16B', 'confirm', 16, 'publish with confirms, a window of outstanding publishes'),
  workload('consume/16B', 'consume', 16, 'consume with prefetch and manual acks'),
  workload('consume-noack/16B', 'consume', 16, 'consume with noAck', true),
  workload('rpc/16B', 'rpc', 16, 'sequential request/reply round trips over direct reply-to'),
];

/** Look up a workload by name. */
export function workloadByName(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

/** Queue that consume workloads read from; the fake broker streams bodies of the size in the name. */
export function consumeQueue(bodySize: number): string {
  return `bench.consume.${bodySize}`;
}

/** Queue that publish workloads write to (the fake broker discards). */
export const PUBLISH_QUEUE = 'bench.publish';

/** RPC request queue of one client (each client's RPC server declares it its own way). */
export function rpcQueue(client: string): string {
  return `bench.rpc.${client.replace(/[^a-z0-9]+/gi, '-')}`;
}

/** Settings a child receives for one run. */
export interface RunSettings {
  readonly url: string;
  /** Measured time for time-bound workloads (publish, confirm, rpc), ms. */
  readonly timeMs: number;
  /** Work done, unmeasured, before measuring (publish, confirm, rpc), ms; 0 for none. */
  readonly warmupMs: number;
  /**
   * Messages per publish run; 0 publishes for `timeMs` instead. A real broker reads far ahead of
   * what it has routed, so a timed run would spend most of its time waiting for that backlog.
   */
  readonly publishCount: number;
  /** Messages to consume in a consume workload; 0 consumes for `timeMs` instead. */
  readonly count: number;
  /** basic.qos prefetch count of consume workloads. */
  readonly prefetch: number;
  /** Ack with `multiple` every this many messages (1: one ack per message). */
  readonly ackEvery: number;
  /** Confirmed publishes allowed outstanding at once. */
  readonly window: number;
  /** Leave peers' socket options as they come (Nagle on); by default TCP_NODELAY is set on every client. */
  readonly peerDefaults: boolean;
}

/** What one child run reports (its last stdout line, as JSON). */
export interface RunResult {
  readonly client: string;
  readonly version: string;
  readonly workload: string;
  /** Messages or round trips completed. */
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  /** Client process CPU (user + system) per operation, microseconds. */
  readonly cpuUsPerOp: number;
  /** The system (kernel) part of `cpuUsPerOp`: socket reads, writes and polling. */
  readonly cpuSysUsPerOp: number;
  /** Peak resident set size of the child process, MiB. */
  readonly peakRssMiB: number;
  /** Resident set size before connecting, MiB (Node's own baseline). */
  readonly startRssMiB: number;
}
