/**
 * `amqp-wire perf` flags: RabbitMQ PerfTest's, short and long, with its defaults, so the recipes
 * in RabbitMQ's documentation paste in. PerfTest has short options of several letters (`-qp`,
 * `-qq`, `-ct`), which `node:util` parseArgs cannot read: this is a small parser of its own.
 * Our own options are long-only, so they never clash with a PerfTest short.
 * @packageDocumentation
 */

/** The command line is wrong: the message says why. */
export class PerfUsageError extends Error {
  override name = 'PerfUsageError';
}

/** Output formats of the interval lines. */
export const FORMATS = ['default', 'compact', 'csv', 'json'] as const;
export type PerfFormat = (typeof FORMATS)[number];

/** A parsed `perf` command line. */
export interface PerfConfig {
  help: boolean;
  uris: string[];
  producers: number;
  consumers: number;
  producerChannels: number;
  consumerChannels: number;
  /** Messages per second per producer; 0 is no limit. */
  rate: number;
  /** Messages per second per consumer; 0 is no limit. */
  consumerRate: number;
  /** Body size in bytes (at least 12: sequence and timestamp). */
  size: number;
  /** Unconfirmed publishes allowed per producer; 0 when confirms are off. */
  confirm: number;
  /** Seconds before an unconfirmed publish counts as timed out. */
  confirmTimeout: number;
  autoAck: boolean;
  /** Ack with `multiple` every N deliveries; 0 acks each one. */
  multiAckEvery: number;
  qos: number;
  globalQos: number;
  /** Queues to declare and consume; empty: one server-named queue per consumer. */
  queues: string[];
  exchange: string;
  type: string;
  /** Routing key; undefined: a random one per run (or the queue name with a queue pattern). */
  routingKey: string | undefined;
  randomRoutingKey: boolean;
  persistent: boolean;
  mandatory: boolean;
  queueType: 'classic' | 'quorum' | 'stream';
  queueArgs: Record<string, string | number>;
  autoDelete: boolean;
  predeclared: boolean;
  /** Seconds to run; 0: no limit. */
  time: number;
  /** Messages each producer sends; 0: no limit. */
  pmessages: number;
  /** Messages each consumer takes; 0: no limit. */
  cmessages: number;
  /** Seconds between interval lines. */
  interval: number;
  format: PerfFormat;
  /** CSV of the interval lines, beside the console output. */
  outputFile: string | undefined;
  /** Stamp wall-clock milliseconds instead of the monotonic clock (producer and consumer in different processes). */
  useMillis: boolean;
  id: string;
  report: string | undefined;
  nullBroker: boolean;
  workers: number;
  /** Exit non-zero when more than this many publishes were nacked / returned / timed out (undefined: no limit). */
  maxNacked: number | undefined;
  maxReturned: number | undefined;
  maxConfirmTimeouts: number | undefined;
}

type Kind = 'int' | 'float' | 'string' | 'boolean' | 'list';

interface Spec {
  long: string;
  short?: string;
  kind: Kind;
}

/** Every option: PerfTest's (with its short names) and ours (long-only). */
const SPECS: readonly Spec[] = [
  { long: 'help', short: '?', kind: 'boolean' },
  { long: 'uri', short: 'h', kind: 'list' },
  { long: 'uris', short: 'H', kind: 'list' },
  { long: 'producers', short: 'x', kind: 'int' },
  { long: 'consumers', short: 'y', kind: 'int' },
  { long: 'producer-channel-count', short: 'X', kind: 'int' },
  { long: 'consumer-channel-count', short: 'Y', kind: 'int' },
  { long: 'rate', short: 'r', kind: 'float' },
  { long: 'consumer-rate', short: 'R', kind: 'float' },
  { long: 'size', short: 's', kind: 'int' },
  { long: 'confirm', short: 'c', kind: 'int' },
  { long: 'confirm-timeout', short: 'ct', kind: 'int' },
  { long: 'autoack', short: 'a', kind: 'boolean' },
  { long: 'multi-ack-every', short: 'A', kind: 'int' },
  { long: 'qos', short: 'q', kind: 'int' },
  { long: 'global-qos', short: 'Q', kind: 'int' },
  { long: 'queue', short: 'u', kind: 'string' },
  { long: 'queue-pattern', short: 'qp', kind: 'string' },
  { long: 'queue-pattern-from', short: 'qpf', kind: 'int' },
  { long: 'queue-pattern-to', short: 'qpt', kind: 'int' },
  { long: 'exchange', short: 'e', kind: 'string' },
  { long: 'type', short: 't', kind: 'string' },
  { long: 'routing-key', short: 'k', kind: 'string' },
  { long: 'random-routing-key', short: 'K', kind: 'boolean' },
  { long: 'flag', short: 'f', kind: 'list' },
  { long: 'quorum-queue', short: 'qq', kind: 'boolean' },
  { long: 'stream-queue', short: 'sq', kind: 'boolean' },
  { long: 'queue-args', short: 'qa', kind: 'list' },
  { long: 'auto-delete', short: 'ad', kind: 'string' },
  { long: 'predeclared', short: 'p', kind: 'boolean' },
  { long: 'time', short: 'z', kind: 'int' },
  { long: 'pmessages', short: 'C', kind: 'int' },
  { long: 'cmessages', short: 'D', kind: 'int' },
  { long: 'interval', short: 'i', kind: 'float' },
  { long: 'metrics-format', short: 'mf', kind: 'string' },
  { long: 'format', kind: 'string' },
  { long: 'output-file', short: 'o', kind: 'string' },
  { long: 'use-millis', short: 'ms', kind: 'boolean' },
  { long: 'id', short: 'd', kind: 'string' },
  { long: 'report', kind: 'string' },
  { long: 'null-broker', kind: 'boolean' },
  { long: 'workers', kind: 'int' },
  { long: 'max-nacked', kind: 'int' },
  { long: 'max-returned', kind: 'int' },
  { long: 'max-confirm-timeouts', kind: 'int' },
];

/** PerfTest options this command knows but does not do: named in the error rather than "unknown". */
const NOT_SUPPORTED = new Map<string, string>([
  ['nack', 'na'], ['requeue', 're'], ['polling', 'po'], ['consumer-latency', 'L'], ['exit-when', 'ew'],
  ['stream-consumer-offset', 'sco'], ['producer-random-start-delay', 'prsd'], ['body', 'B'], ['json-body', 'jb'],
]);

const BY_LONG = new Map(SPECS.map((s) => [s.long, s]));
const BY_SHORT = new Map(SPECS.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));

/** `test-HHmmss-SSS`, PerfTest's default run id. */
export function defaultId(now = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `test-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}-${p(now.getMilliseconds(), 3)}`;
}

/** The raw values by long name; lists collect every occurrence. */
function scan(argv: readonly string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let spec: Spec | undefined;
    let inline: string | undefined;
    let name: string;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      spec = BY_LONG.get(name);
      if (spec === undefined && NOT_SUPPORTED.has(name)) throw new PerfUsageError(`--${name} (PerfTest's) is not supported by amqp-wire perf`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      name = arg.slice(1);
      spec = BY_SHORT.get(name);
      if (spec === undefined) {
        const unsupported = [...NOT_SUPPORTED].find(([, s]) => s === name);
        if (unsupported) throw new PerfUsageError(`-${name} (PerfTest's --${unsupported[0]}) is not supported by amqp-wire perf`);
        // `-x4`: a one-letter option with a number attached.
        const one = BY_SHORT.get(name[0]!);
        if (one !== undefined && (one.kind === 'int' || one.kind === 'float') && /^-?[\d.]+$/.test(name.slice(1))) {
          spec = one;
          inline = name.slice(1);
        }
      }
    } else {
      throw new PerfUsageError(`unexpected argument '${arg}': perf takes options only`);
    }
    if (spec === undefined) throw new PerfUsageError(`unknown option '${arg}'`);
    let value: string;
    if (spec.kind === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new PerfUsageError(`--${spec.long} takes no value`);
      value = inline ?? 'true';
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new PerfUsageError(`option '${arg}' needs a value`);
      value = next;
      i++;
    }
    const list = seen.get(spec.long);
    if (list === undefined) seen.set(spec.long, [value]);
    else if (spec.kind === 'list') list.push(value);
    else throw new PerfUsageError(`--${spec.long} given twice`);
  }
  return seen;
}

function label(long: string): string {
  const s = BY_LONG.get(long)?.short;
  return s === undefined ? `--${long}` : `-${s}/--${long}`;
}

/** Parse PerfTest-style arguments. `env.AMQP_URL` is the URI when none is given. */
export function parsePerfArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): PerfConfig {
  const raw = scan(argv);
  const str = (long: string): string | undefined => raw.get(long)?.[0];
  const has = (long: string): boolean => raw.has(long);
  const bool = (long: string): boolean => str(long) === 'true';
  const int = (long: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = str(long);
    if (v === undefined) return dflt;
    if (!/^-?\d+$/.test(v)) throw new PerfUsageError(`${label(long)} must be a whole number, got '${v}'`);
    const n = Number(v);
    if (n < min || n > max) throw new PerfUsageError(`${label(long)} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const optInt = (long: string): number | undefined => (has(long) ? int(long, 0, 0) : undefined);
  const float = (long: string, dflt: number, min: number): number => {
    const v = str(long);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new PerfUsageError(`${label(long)} must be a number, got '${v}'`);
    if (n < min) throw new PerfUsageError(`${label(long)} must be at least ${min}, got ${n}`);
    return n;
  };

  const help = bool('help');
  const nullBroker = bool('null-broker');
  const uriList = [...(raw.get('uri') ?? []), ...(raw.get('uris') ?? []).flatMap((u) => u.split(','))].map((u) => u.trim()).filter((u) => u !== '');
  if (nullBroker && uriList.length > 0) throw new PerfUsageError('--null-broker runs its own broker: drop -h/--uri');
  const fromEnv = env['AMQP_URL'];
  const uris = uriList.length > 0 ? uriList : [fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'amqp://localhost'];

  const flags = raw.get('flag') ?? [];
  for (const f of flags) {
    if (f !== 'persistent' && f !== 'mandatory') throw new PerfUsageError(`-f/--flag takes persistent or mandatory, got '${f}'`);
  }

  if (bool('quorum-queue') && bool('stream-queue')) throw new PerfUsageError('-qq/--quorum-queue and -sq/--stream-queue conflict: a queue has one type');
  const queueType = bool('quorum-queue') ? 'quorum' : bool('stream-queue') ? 'stream' : 'classic';

  const pattern = str('queue-pattern');
  const trio = ['queue-pattern', 'queue-pattern-from', 'queue-pattern-to'].filter(has);
  if (trio.length > 0 && trio.length < 3) {
    throw new PerfUsageError('-qp/--queue-pattern, -qpf/--queue-pattern-from and -qpt/--queue-pattern-to go together: give all three');
  }
  if (pattern !== undefined && has('queue')) throw new PerfUsageError('-u/--queue and -qp/--queue-pattern conflict: give one');
  let queues: string[] = [];
  if (pattern !== undefined) {
    if (!pattern.includes('%d')) throw new PerfUsageError(`-qp/--queue-pattern must contain %d, got '${pattern}'`);
    const from = int('queue-pattern-from', 1, 0);
    const to = int('queue-pattern-to', 1, 0);
    if (from > to) throw new PerfUsageError(`-qpf/--queue-pattern-from (${from}) is above -qpt/--queue-pattern-to (${to})`);
    if (to - from >= 10_000) throw new PerfUsageError('a queue pattern of more than 10000 queues is not supported');
    for (let n = from; n <= to; n++) queues.push(pattern.replace('%d', String(n)));
  } else if (has('queue')) {
    queues = [str('queue')!];
  }

  const autoAck = bool('autoack');
  const multiAckEvery = int('multi-ack-every', 0, 0);
  if (autoAck && multiAckEvery > 0) throw new PerfUsageError('-a/--autoack and -A/--multi-ack-every conflict: with auto-ack nothing is acked');
  if (autoAck && queueType === 'stream') throw new PerfUsageError('-a/--autoack and -sq/--stream-queue conflict: stream queues need acks');

  const producers = int('producers', 1, 0, 10_000);
  const consumers = int('consumers', 1, 0, 10_000);
  if (producers === 0 && consumers === 0) throw new PerfUsageError('nothing to run: -x/--producers and -y/--consumers are both 0');
  const pmessages = int('pmessages', 0, 0);
  const cmessages = int('cmessages', 0, 0);
  if (pmessages > 0 && producers === 0) throw new PerfUsageError('-C/--pmessages needs producers (-x)');
  if (cmessages > 0 && consumers === 0) throw new PerfUsageError('-D/--cmessages needs consumers (-y)');

  const autoDeleteRaw = str('auto-delete');
  if (autoDeleteRaw !== undefined && autoDeleteRaw !== 'true' && autoDeleteRaw !== 'false') {
    throw new PerfUsageError(`-ad/--auto-delete takes true or false, got '${autoDeleteRaw}'`);
  }

  const queueArgs: Record<string, string | number> = {};
  for (const item of (raw.get('queue-args') ?? []).flatMap((a) => a.split(','))) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new PerfUsageError(`-qa/--queue-args takes key=value pairs, got '${item}'`);
    const v = item.slice(eq + 1);
    queueArgs[item.slice(0, eq)] = /^-?\d+$/.test(v) ? Number(v) : v;
  }
  if (queueType !== 'classic') queueArgs['x-queue-type'] = queueType;

  const formatRaw = str('format') ?? str('metrics-format') ?? 'default';
  if (has('format') && has('metrics-format') && str('format') !== str('metrics-format')) {
    throw new PerfUsageError('--format and -mf/--metrics-format disagree: give one');
  }
  if (!(FORMATS as readonly string[]).includes(formatRaw)) throw new PerfUsageError(`--format must be one of ${FORMATS.join(', ')}, got '${formatRaw}'`);

  const report = str('report');
  if (report !== undefined && !/\.(html?|svg)$/i.test(report)) throw new PerfUsageError(`--report writes .html or .svg, got '${report}'`);

  const type = str('type') ?? 'direct';
  if (!['direct', 'fanout', 'topic', 'headers'].includes(type) && !type.startsWith('x-')) {
    throw new PerfUsageError(`-t/--type must be direct, fanout, topic, headers or x-..., got '${type}'`);
  }
  if (has('routing-key') && bool('random-routing-key')) throw new PerfUsageError('-k/--routing-key and -K/--random-routing-key conflict: give one');

  const confirmRaw = int('confirm', -1, -1);
  const persistent = flags.includes('persistent') || queueType !== 'classic';
  const workers = int('workers', 1, 1, 64);
  if (workers > Math.max(1, producers + consumers)) {
    throw new PerfUsageError(`--workers ${workers} is more than the ${producers + consumers} producers and consumers to spread over them`);
  }
  const time = int('time', 0, 0);
  const id = str('id') ?? defaultId();
  if (id === '') throw new PerfUsageError('-d/--id must not be empty');

  return {
    help,
    uris,
    producers,
    consumers,
    producerChannels: int('producer-channel-count', 1, 1, 1000),
    consumerChannels: int('consumer-channel-count', 1, 1, 1000),
    rate: float('rate', 0, 0),
    consumerRate: float('consumer-rate', 0, 0),
    size: Math.max(12, int('size', 12, 0, 512 * 1024 * 1024)),
    confirm: Math.max(0, confirmRaw),
    confirmTimeout: int('confirm-timeout', 30, 1),
    autoAck,
    multiAckEvery,
    qos: int('qos', queueType === 'stream' && !has('qos') ? 200 : 0, 0, 65535),
    globalQos: int('global-qos', 0, 0, 65535),
    queues,
    exchange: str('exchange') ?? 'direct',
    type,
    routingKey: str('routing-key'),
    randomRoutingKey: bool('random-routing-key'),
    persistent,
    mandatory: flags.includes('mandatory'),
    queueType,
    queueArgs,
    autoDelete: queueType === 'classic' ? autoDeleteRaw !== 'false' : false,
    predeclared: bool('predeclared'),
    time,
    pmessages,
    cmessages,
    interval: float('interval', 1, 0.1),
    format: formatRaw as PerfFormat,
    outputFile: str('output-file'),
    useMillis: bool('use-millis'),
    id,
    report,
    nullBroker,
    workers,
    maxNacked: optInt('max-nacked'),
    maxReturned: optInt('max-returned'),
    maxConfirmTimeouts: optInt('max-confirm-timeouts'),
  };
}

/** The `--help` text. */
export const PERF_HELP = `Usage: amqp-wire perf [options]

Throughput and latency, driven by RabbitMQ PerfTest's flags (its recipes paste in). Messages carry
PerfTest's body (4-byte sequence, 8-byte timestamp), so PerfTest can be the other side (with -ms).

PerfTest's options:
  -h, --uri URI                 broker URI, repeatable (default: $AMQP_URL, else amqp://localhost)
  -H, --uris URI,URI            broker URIs, comma-separated; connections take them in turn
  -x, --producers N             producers (1)           -y, --consumers N         consumers (1)
  -X, --producer-channel-count  channels per producer   -Y, --consumer-channel-count
  -r, --rate N                  msg/s per producer (no limit)
  -R, --consumer-rate N         msg/s per consumer (no limit)
  -s, --size BYTES              body size, at least 12 (12)
  -c, --confirm N               publisher confirms, at most N unconfirmed per producer (off)
  -ct, --confirm-timeout S      a publish unconfirmed after S seconds is a timeout (30)
  -a, --autoack                 consume with auto-ack
  -A, --multi-ack-every N       ack with 'multiple' every N messages
  -q, --qos N                   prefetch per consumer     -Q, --global-qos N   per channel
  -u, --queue Q                 queue to declare and use (default: one server-named per consumer)
  -qp, --queue-pattern P        queues P with %d from -qpf to -qpt (e.g. perf-test-%d)
  -qpf, --queue-pattern-from N  -qpt, --queue-pattern-to N
  -e, --exchange X              exchange (direct)          -t, --type T   its type (direct)
  -k, --routing-key K           routing key (random)       -K, --random-routing-key  one per message
  -f, --flag F                  persistent or mandatory; repeatable
  -qq, --quorum-queue           quorum queues (persistent, not auto-delete)
  -sq, --stream-queue           stream queues (persistent, prefetch 200 unless -q)
  -qa, --queue-args k=v,...     queue arguments            -ad, --auto-delete true|false (true)
  -p, --predeclared             the queues exist: do not declare them
  -z, --time S                  stop after S seconds      -C, --pmessages N   per producer
  -D, --cmessages N             per consumer
  -i, --interval S              seconds between lines (1)
  -mf, --metrics-format F       default, compact, csv or json (alias: --format)
  -o, --output-file FILE        CSV of every interval, beside the console output
  -ms, --use-millis             wall-clock ms timestamps (producer and consumer in other processes)
  -d, --id ID                   run id (test-HHmmss-SSS)
  -?, --help                    show this help

amqp-wire's own:
  --report FILE.html|.svg       chart rates and latency percentiles over time (one self-contained file)
  --null-broker                 run against a built-in discard broker on 127.0.0.1: the client alone
  --workers N                   spread producers and consumers over N worker threads
  --max-nacked N                exit 1 when more than N publishes were nacked
  --max-returned N              exit 1 when more than N publishes were returned (-f mandatory)
  --max-confirm-timeouts N      exit 1 when more than N confirms timed out (-ct)

Example: amqp-wire perf -x 1 -y 2 -u q1 -s 1000 -c 100 -z 10 --report perf.html
Exit codes: 0 ok, 1 failure or a threshold passed, 2 usage, 3 cannot connect, 130 interrupted.`;
