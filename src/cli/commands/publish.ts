/**
 * `amqp-wire publish`: the producer side of every seed pattern (send.py, emit_log*.py).
 * @packageDocumentation
 */
import type { BasicProperties } from '../../index.js';
import { COMMON_HELP, COMMON_OPTIONS, CliUsageError, ExitCode, exchangeType, intOption, parse, parseArgs, resolveUrl, type BaseConfig } from '../args.js';
import { openConnection } from '../broker.js';
import { aborted, type Command, type RunContext } from '../command.js';
import { reprText } from '../format.js';

/** Parsed `publish` arguments. */
export interface PublishConfig extends BaseConfig {
  /** Queue to declare and publish to through the default exchange (simple mode). */
  queue: string | undefined;
  /** Exchange to declare and publish to (fanout, direct, topic mode). */
  exchange: string | undefined;
  type: string;
  routingKey: string;
  durable: boolean;
  persistent: boolean;
  mandatory: boolean;
  /** Send this many messages, each body suffixed with its index (the seed's send.py). */
  count: number | undefined;
  message: string;
}

/** Routing key and body when none is given, as in the seed's emit_log scripts. */
const DEFAULT_KEY: Readonly<Record<string, string>> = { direct: 'info', topic: 'anonymous.info' };

const HELP = `Usage: amqp-wire publish (--queue Q | --exchange X [--type T] [--routing-key K]) [options] [message...]

Publish a message (the words given, joined by spaces) with publisher confirms.
  simple:  amqp-wire publish --queue hello --count 10 兔子     (send.py: 兔子0 .. 兔子9)
  fanout:  amqp-wire publish --exchange logs --type fanout "info: Hello World!"
  direct:  amqp-wire publish --exchange direct_logs --routing-key error "Run. Run. Or it will explode."
  topic:   amqp-wire publish --exchange topic_logs --type topic --routing-key kern.critical "A critical kernel error"

Options:
  -q, --queue Q          declare queue Q and publish to it through the default exchange
  -e, --exchange X       declare exchange X and publish to it
  -t, --type T           exchange type: direct (default), fanout, topic, headers
  -k, --routing-key K    routing key (default: '' for fanout, 'info' for direct, 'anonymous.info' for topic)
      --durable          declare the queue or exchange durable
      --persistent       publish with delivery mode 2 (persistent)
      --mandatory        fail (exit 1) when no queue takes the message
  -n, --count N          publish N messages: message0 .. message(N-1)
${COMMON_HELP}

Without a message: 'Hello World!' ('info: Hello World!' to a fanout exchange).
Exit codes: 0 confirmed by the broker, 1 failed or returned, 2 usage, 3 cannot connect, 130 interrupted.`;

function parsePublish(argv: string[], env: Readonly<Record<string, string | undefined>>): PublishConfig {
  const { values: v, positionals } = parse(() => parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      queue: { type: 'string', short: 'q' },
      exchange: { type: 'string', short: 'e' },
      type: { type: 'string', short: 't' },
      'routing-key': { type: 'string', short: 'k' },
      durable: { type: 'boolean' },
      persistent: { type: 'boolean' },
      mandatory: { type: 'boolean' },
      count: { type: 'string', short: 'n' },
    },
  }));
  const help = v.help ?? false;
  if (!help) {
    if (v.queue !== undefined && v.exchange !== undefined) throw new CliUsageError('use --queue (default exchange) or --exchange, not both');
    if (v.queue === undefined && v.exchange === undefined) throw new CliUsageError('publish needs --queue or --exchange');
    if (v.queue === '') throw new CliUsageError('--queue must not be empty');
    if (v.exchange === undefined && (v.type !== undefined || v['routing-key'] !== undefined)) {
      throw new CliUsageError('--type and --routing-key go with --exchange');
    }
  }
  const type = exchangeType(v.type);
  const fanout = v.exchange !== undefined && type === 'fanout';
  return {
    help,
    url: resolveUrl(v.url, env),
    queue: v.queue,
    exchange: v.exchange,
    type,
    routingKey: v['routing-key'] ?? DEFAULT_KEY[type] ?? '',
    durable: v.durable ?? false,
    persistent: v.persistent ?? false,
    mandatory: v.mandatory ?? false,
    count: intOption(v.count, 'count', 1, 10_000_000),
    message: positionals.join(' ') || (fanout ? 'info: Hello World!' : 'Hello World!'),
  };
}

async function runPublish(c: PublishConfig, { io, signal }: RunContext): Promise<number> {
  const conn = await openConnection(c.url, 'publish');
  try {
    const ch = await conn.channel();
    if (c.exchange !== undefined) await ch.exchangeDeclare(c.exchange, c.type, { durable: c.durable });
    else await ch.queueDeclare(c.queue, { durable: c.durable });
    const exchange = c.exchange ?? '';
    const routingKey = c.exchange !== undefined ? c.routingKey : c.queue!;
    const properties: BasicProperties = c.persistent ? { deliveryMode: 2 } : {};
    await ch.confirmSelect();
    const total = c.count ?? 1;
    const body = (i: number): string => (c.count === undefined ? c.message : `${c.message}${i}`);
    const published = publishWindowed(total, conn.options.maxConfirmsInFlight, signal,
      (i) => ch.publishConfirmed(exchange, routingKey, body(i), properties, { mandatory: c.mandatory }));
    const done = await Promise.race([published.then(() => true), aborted(signal).then(() => false)]);
    if (!done) {
      published.catch(() => undefined);
      io.err('amqp-wire publish: interrupted before every message was confirmed');
      return ExitCode.INTERRUPTED;
    }
    if (c.count !== undefined) io.out(`Sent '${c.message}' * ${c.count}`);
    else if (c.exchange !== undefined && c.type !== 'fanout') io.out(` [x] Sent ${reprText(routingKey)}:${reprText(c.message)}`);
    else io.out(` [x] Sent ${reprText(c.message)}`);
    return ExitCode.OK;
  } finally {
    await conn.close();
  }
}

/**
 * Publish `total` confirmed messages with at most `window` awaiting their ack: the next one starts
 * when an earlier one settles. Memory stays proportional to the window, not to `total` (a
 * `Promise.all` over a million `publishConfirmed` calls would hold a million promises and bodies).
 * Stops starting new publishes at the first failure or on abort, waits for those in flight, and
 * rejects with the first failure.
 */
export function publishWindowed(total: number, window: number, signal: AbortSignal, publish: (i: number) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let inFlight = 0;
    let failure: { err: unknown } | null = null;
    const settled = (): void => {
      inFlight--;
      pump();
    };
    const failed = (err: unknown): void => {
      failure ??= { err };
      settled();
    };
    function pump(): void {
      while (failure === null && !signal.aborted && next < total && inFlight < window) {
        inFlight++;
        let p: Promise<void>;
        try {
          p = publish(next++);
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(settled, failed);
      }
      if (inFlight > 0) return;
      if (failure !== null) reject(failure.err);
      else if (next === total) resolve();
      // Aborted: the caller's race against the signal reports it.
    }
    pump();
  });
}

/** `amqp-wire publish`. */
export const publishCommand: Command<PublishConfig> = {
  name: 'publish',
  summary: 'publish messages to a queue or an exchange (send.py, emit_log*.py)',
  help: HELP,
  parse: parsePublish,
  run: runPublish,
};
