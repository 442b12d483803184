/**
 * `amqp-wire consume`: the consumer side of every seed pattern (receive.py, receive_logs*.py).
 * @packageDocumentation
 */
import type { Channel, Message } from '../../index.js';
import { COMMON_HELP, COMMON_OPTIONS, CliUsageError, ExitCode, exchangeType, intOption, parse, parseArgs, resolveUrl, type BaseConfig } from '../args.js';
import { openConnection } from '../broker.js';
import { aborted, type Command, type RunContext } from '../command.js';
import { reprBody, reprText } from '../format.js';

/** Parsed `consume` arguments. */
export interface ConsumeConfig extends BaseConfig {
  /** Queue to consume; with an exchange, '' means a server-named exclusive queue. */
  queue: string;
  exchange: string | undefined;
  type: string;
  bindingKeys: string[];
  durable: boolean;
  prefetch: number | undefined;
  /** Stop after this many messages. */
  count: number | undefined;
  noAck: boolean;
}

const HELP = `Usage: amqp-wire consume (--queue Q | --exchange X [--type T] [--binding-key K]...) [options]

Consume and print messages until Ctrl-C (or --count N), acking each after printing it.
  simple:  amqp-wire consume --queue hello                                   (receive.py)
  fanout:  amqp-wire consume --exchange logs --type fanout                   (receive_logs.py)
  direct:  amqp-wire consume --exchange direct_logs --binding-key info --binding-key error
  topic:   amqp-wire consume --exchange topic_logs --type topic --binding-key "kern.*" --binding-key "*.critical"

Options:
  -q, --queue Q          queue to declare and consume; with --exchange it is bound there
                         (default with --exchange: a server-named exclusive queue)
  -e, --exchange X       declare exchange X and bind the queue to it
  -t, --type T           exchange type: direct (default), fanout, topic, headers
  -b, --binding-key K    bind with routing key K; repeat for several (needed for direct and topic)
      --durable          declare the queue or exchange durable
  -p, --prefetch N       basic.qos prefetch count (default with --count N: N)
  -n, --count N          exit after N messages
      --no-ack           consume with no_ack (the seed's receive scripts do): the broker forgets
                         a message once sent; with --count, messages past N are lost
${COMMON_HELP}

Output: " [x] Received 'body'" for a queue, " [x] 'routing.key':'body'" for an exchange.
Exit codes: 0 after Ctrl-C or N messages, 1 broker error, 2 usage, 3 cannot connect.`;

function parseConsume(argv: string[], env: Readonly<Record<string, string | undefined>>): ConsumeConfig {
  const { values: v } = parse(() => parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      queue: { type: 'string', short: 'q' },
      exchange: { type: 'string', short: 'e' },
      type: { type: 'string', short: 't' },
      'binding-key': { type: 'string', short: 'b', multiple: true },
      durable: { type: 'boolean' },
      prefetch: { type: 'string', short: 'p' },
      count: { type: 'string', short: 'n' },
      'no-ack': { type: 'boolean' },
    },
  }));
  const help = v.help ?? false;
  const type = exchangeType(v.type);
  const bindingKeys = v['binding-key'] ?? [];
  if (!help) {
    if (v.exchange === undefined) {
      if (v.queue === undefined || v.queue === '') throw new CliUsageError('consume needs --queue or --exchange');
      if (v.type !== undefined || bindingKeys.length > 0) throw new CliUsageError('--type and --binding-key go with --exchange');
    } else if (bindingKeys.length === 0 && (type === 'direct' || type === 'topic')) {
      throw new CliUsageError(`a ${type} exchange needs at least one --binding-key`);
    }
  }
  const count = intOption(v.count, 'count', 1);
  const noAck = v['no-ack'] ?? false;
  const prefetch = intOption(v.prefetch, 'prefetch', 0, 65535) ?? (count !== undefined && !noAck ? Math.min(count, 65535) : undefined);
  return {
    help, url: resolveUrl(v.url, env), queue: v.queue ?? '', exchange: v.exchange, type, bindingKeys,
    durable: v.durable ?? false, prefetch, count, noAck,
  };
}

/** Declare what the mode needs; resolves the queue to consume. */
async function declare(ch: Channel, c: ConsumeConfig): Promise<string> {
  if (c.exchange === undefined) {
    await ch.queueDeclare(c.queue, { durable: c.durable });
    return c.queue;
  }
  await ch.exchangeDeclare(c.exchange, c.type, { durable: c.durable });
  const named = c.queue !== '';
  const { queue } = await ch.queueDeclare(c.queue, named ? { durable: c.durable } : { exclusive: true });
  for (const key of c.bindingKeys.length > 0 ? c.bindingKeys : ['']) await ch.queueBind(queue, c.exchange, key);
  return queue;
}

function describe(c: ConsumeConfig, msg: Message): string {
  if (c.exchange === undefined) return ` [x] Received ${reprBody(msg.body)}`;
  if (c.type === 'fanout') return ` [x] ${reprBody(msg.body)}`;
  return ` [x] ${reprText(msg.fields.routingKey)}:${reprBody(msg.body)}`;
}

async function runConsume(c: ConsumeConfig, { io, signal }: RunContext): Promise<number> {
  const conn = await openConnection(c.url, 'consume');
  try {
    const ch = await conn.channel();
    const closed = new Promise<Error | undefined>((resolve) => ch.once('close', resolve));
    ch.on('error', () => undefined); // the close event carries it
    const queue = await declare(ch, c);
    if (c.prefetch !== undefined) await ch.basicQos(c.prefetch);
    let received = 0;
    let enough!: () => void;
    const counted = new Promise<void>((resolve) => (enough = resolve));
    const { consumerTag } = await ch.basicConsume(queue, (msg) => {
      // Deliveries past --count stay unacked and go back to the queue when the channel closes.
      if (c.count !== undefined && received >= c.count) return;
      received++;
      io.out(describe(c, msg));
      if (!c.noAck) msg.ack();
      if (received === c.count) enough();
    }, { noAck: c.noAck });
    io.out(` [*] Waiting for ${c.exchange === undefined ? 'messages' : 'logs'}. To exit press CTRL+C`);
    const end = await Promise.race([counted.then(() => null), aborted(signal).then(() => null), closed.then((e) => e ?? null)]);
    if (end !== null) throw end;
    if (ch.isOpen) await ch.basicCancel(consumerTag);
    return ExitCode.OK;
  } finally {
    await conn.close();
  }
}

/** `amqp-wire consume`. */
export const consumeCommand: Command<ConsumeConfig> = {
  name: 'consume',
  summary: 'consume and print messages from a queue or an exchange (receive.py, receive_logs*.py)',
  help: HELP,
  parse: parseConsume,
  run: runConsume,
};
