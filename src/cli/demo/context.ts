/**
 * What a demo step gets, and the small tools steps share: an inbox that waits for messages, and
 * checks that fail the step with a readable line.
 * @packageDocumentation
 */
import type { Channel, Connection, Message } from '../../index.js';
import { reprBody } from '../format.js';

/** What a step does with the broker, and how it reports. */
export interface DemoContext {
  /** Connection the producers (and RPC clients) use. */
  readonly producer: Connection;
  /** Connection the consumers (and RPC servers) use. */
  readonly consumer: Connection;
  /** Unique prefix of every queue and exchange of this run, e.g. `amqp-wire-demo-1a2b3c4d`. */
  readonly prefix: string;
  /** Print one line of the step's transcript. */
  log(line: string): void;
  /** Delete this queue after the step, pass or fail. */
  cleanupQueue(name: string): void;
  /** Delete this exchange after the step, pass or fail. */
  cleanupExchange(name: string): void;
}

/** One seed pattern, run end to end. */
export interface DemoStep {
  readonly title: string;
  /** The seed scripts it stands for. */
  readonly seed: string;
  /** Resolves when every check passed; throws DemoCheckError (or a broker error) otherwise. */
  run(ctx: DemoContext): Promise<void>;
}

/** A step saw something other than what the pattern promises. */
export class DemoCheckError extends Error {
  override name = 'DemoCheckError';
}

/** Fail the step with `message` unless `ok`. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new DemoCheckError(message);
}

/** Show a list of values the way the transcript does: `['a', 'b']`. */
export function list(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`;
}

/** Collects one consumer's messages and logs each as it arrives. */
export class Inbox {
  readonly messages: Message[] = [];
  private waiter: { n: number; resolve: () => void } | null = null;

  /** `showKey`: append the routing key to each logged message (useful for exchanges). */
  constructor(private readonly label: string, private readonly log: (line: string) => void, private readonly showKey = true) {}

  /** Pass as the consume callback. */
  readonly push = (msg: Message): void => {
    this.messages.push(msg);
    const key = this.showKey && msg.fields.routingKey !== '' ? ` [${msg.fields.routingKey}]` : '';
    this.log(`${this.label} received ${reprBody(msg.body)}${key}`);
    if (this.waiter && this.messages.length >= this.waiter.n) this.waiter.resolve();
  };

  /** Bodies received so far, as text. */
  texts(): string[] {
    return this.messages.map((m) => m.text());
  }

  /** Routing keys received so far. */
  keys(): string[] {
    return this.messages.map((m) => m.fields.routingKey);
  }

  /** Wait until `n` messages are in, at most `ms`; then wait `settleMs` more for any extra. */
  async waitFor(n: number, ms = 5000, settleMs = 0): Promise<void> {
    if (this.messages.length < n) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          this.waiter = { n, resolve };
          timer = setTimeout(() => reject(new DemoCheckError(`${this.label}: expected ${n} messages within ${ms} ms, got ${this.messages.length}`)), ms);
        });
      } finally {
        clearTimeout(timer);
        this.waiter = null;
      }
    }
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  }
}

/** Consume from a new server-named exclusive queue bound to `exchange` with each key. */
export async function bindInbox(ctx: DemoContext, exchange: string, type: string, keys: readonly string[], label: string): Promise<Inbox> {
  const ch: Channel = await ctx.consumer.channel();
  await ch.exchangeDeclare(exchange, type);
  const { queue } = await ch.queueDeclare('', { exclusive: true });
  for (const key of keys) await ch.queueBind(queue, exchange, key);
  const inbox = new Inbox(label, (line) => ctx.log(line));
  await ch.basicConsume(queue, inbox.push, { noAck: true });
  ctx.log(`${label} bound ${queue} to '${exchange}'${keys.some((k) => k !== '') ? ` with ${list(keys)}` : ''}`);
  return inbox;
}

/** Wait for `promise`, but no longer than `ms`; the checks that follow say what was missing. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
