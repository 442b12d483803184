/**
 * `rabbitmqctl` against the node the integration tests use, for fault tests that need the broker
 * to do something a client cannot ask for: force-close connections, raise a memory alarm.
 */
import { execFile } from 'node:child_process';
import { brokerInfo, rabbitmqctlPath } from './broker.js';

/** Thrown when rabbitmqctl cannot be run or cannot reach the node. */
export class RabbitmqctlError extends Error {
  override readonly name = 'RabbitmqctlError';
  constructor(
    message: string,
    /** The arguments rabbitmqctl was run with. */
    readonly args: readonly string[],
    /** What rabbitmqctl wrote to stderr. */
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Options for {@link rabbitmqctl}. */
export interface RabbitmqctlOptions {
  /** Kill rabbitmqctl after this long. Default 30 s. */
  timeoutMs?: number;
}

/** RabbitMQ's own default vm_memory_high_watermark, which the project node keeps. */
export const DEFAULT_MEMORY_WATERMARK = 0.4;

function nodeName(): string {
  const { nodeName: name, source, url } = brokerInfo();
  if (name === null) {
    throw new RabbitmqctlError(
      `rabbitmqctl has no node to talk to: the broker in use (${source}, ${url}) has no known Erlang node ` +
        'name; use the project node (bash scripts/broker.sh start) or set RABBITMQ_NODENAME',
      [],
      '',
    );
  }
  return name;
}

/** Runs `rabbitmqctl -n <node> -q <args>` and resolves with its stdout. */
export function rabbitmqctl(args: readonly string[], options: RabbitmqctlOptions = {}): Promise<string> {
  const full = ['-n', nodeName(), '-q', ...args];
  const timeout = options.timeoutMs ?? 30_000;
  return new Promise((done, fail) => {
    execFile(rabbitmqctlPath(), full, { timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) return done(stdout);
      const why = error.killed ? `timed out after ${timeout} ms` : (stderr.trim() || stdout.trim() || error.message);
      fail(new RabbitmqctlError(`rabbitmqctl ${full.join(' ')} failed: ${why}`, full, stderr));
    });
  });
}

/** One row of `list_connections pid name client_properties`. */
export interface ConnectionRow {
  /** Erlang pid as `close_connection` wants it, e.g. `<amqpwire@localhost.1.602.0>`. */
  pid: string;
  /** RabbitMQ's name, e.g. `127.0.0.1:51652 -> 127.0.0.1:5672`. */
  name: string;
  /** The `connection_name` client property, or null when the client sent none. */
  clientName: string | null;
}

type JsonTableEntry = [string, string, unknown];

/** Lists the broker's AMQP connections. */
export async function listConnections(): Promise<ConnectionRow[]> {
  // The JSON formatter shows client properties but prints pids in a form close_connection
  // rejects; the tab formatter prints usable pids. Rows are joined on the connection name.
  const json = await rabbitmqctl(['list_connections', 'name', 'client_properties', '--formatter', 'json']);
  const tabbed = await rabbitmqctl(['list_connections', 'pid', 'name', '--silent']);
  const pids = new Map<string, string>();
  for (const line of tabbed.split('\n')) {
    const [pid, name] = line.split('\t');
    if (pid !== undefined && name !== undefined) pids.set(name, pid);
  }
  const rows = JSON.parse(json.trim() === '' ? '[]' : json) as { name: string; client_properties: JsonTableEntry[] }[];
  return rows.flatMap((row) => {
    const pid = pids.get(row.name);
    if (pid === undefined) return []; // closed between the two listings
    const entry = row.client_properties.find(([key]) => key === 'connection_name');
    return [{ pid, name: row.name, clientName: typeof entry?.[2] === 'string' ? entry[2] : null }];
  });
}

/**
 * Force-closes every connection whose client-provided `connection_name` or RabbitMQ name equals
 * `match` (string) or matches it (RegExp). Resolves with the number of connections closed.
 */
export async function closeConnections(match: string | RegExp, reason = 'closed by test'): Promise<number> {
  const hits = (value: string | null): boolean =>
    value !== null && (typeof match === 'string' ? value === match : match.test(value));
  const targets = (await listConnections()).filter((row) => hits(row.clientName) || hits(row.name));
  for (const row of targets) {
    await rabbitmqctl(['close_connection', row.pid, reason]);
  }
  return targets.length;
}

/** Force-closes every connection on the node. */
export async function closeAllConnections(reason = 'closed by test'): Promise<void> {
  await rabbitmqctl(['close_all_connections', reason]);
}

/**
 * Sets vm_memory_high_watermark: a number is a fraction of RAM (a tiny one such as 0.0000001
 * raises the memory alarm at once and blocks publishers); a string such as `'50MB'` is absolute.
 */
export async function setMemoryWatermark(value: number | string): Promise<void> {
  const args = typeof value === 'number' ? [String(value)] : ['absolute', value];
  await rabbitmqctl(['set_vm_memory_high_watermark', ...args]);
}

/** Puts vm_memory_high_watermark back to RabbitMQ's default, clearing an alarm a test raised. */
export async function restoreMemoryWatermark(): Promise<void> {
  await setMemoryWatermark(DEFAULT_MEMORY_WATERMARK);
}
