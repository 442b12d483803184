/**
 * Consumers of one channel: callback consumers and the `for await` iterator.
 * @packageDocumentation
 */
import { Fifo } from '../fifo.js';
import type { Message } from '../message.js';

/** Called for every delivery. A throw or rejection is reported on the channel, never fatal. */
export type ConsumeCallback = (msg: Message) => void | Promise<void>;

/** A registered consumer. */
export interface Consumer {
  readonly tag: string;
  readonly noAck: boolean;
  /** A delivery for this consumer. */
  deliver(msg: Message): void;
  /** The consumer ended: `err` is set when the broker cancelled it or the channel closed. */
  end(err: Error | null): void;
}

/**
 * The async iterator behind `channel.consume()`. Deliveries wait in a buffer until `next()` takes
 * them; with manual acks the broker's prefetch bounds that buffer. Leaving the loop (`break`,
 * `return`, a throw, or the AbortSignal) cancels the consumer and requeues whatever was delivered
 * but never handed out.
 */
export class ConsumerIterator implements AsyncIterableIterator<Message> {
  private readonly buffer: Message[] = [];
  private head = 0;
  /** next() calls waiting for a delivery, oldest first. */
  private readonly waiting = new Fifo<{ resolve: (r: IteratorResult<Message>) => void; reject: (e: Error) => void }>();
  private done = false;
  private error: Error | null = null;
  private stopping: Promise<void> | null = null;
  /** Set once the consumer is registered. */
  tag = '';

  /**
   * @param ready resolves once basic.consume-ok has arrived (rejects when it failed)
   * @param stop cancels the consumer, then requeues what `takeUnconsumed` gives (deliveries can
   *   still arrive between basic.cancel and cancel-ok)
   */
  constructor(
    private readonly ready: Promise<void>,
    private readonly stop: (takeUnconsumed: () => Message[]) => Promise<void>,
    private readonly signal: AbortSignal | undefined,
  ) {
    ready.catch((e: Error) => this.end(e));
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.onAbort());
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  private readonly onAbort = (): void => {
    const reason = (this.signal?.reason as Error | undefined) ?? new Error('aborted');
    this.end(reason);
    void this.return().catch(() => undefined);
  };

  /** A delivery: hand it to a waiting `next()` or buffer it. */
  push(msg: Message): void {
    if (this.done) {
      this.buffer.push(msg); // requeued by `stop`
      return;
    }
    const w = this.waiting.shift();
    if (w) w.resolve({ value: msg, done: false });
    else this.buffer.push(msg);
  }

  /** No more deliveries; an error makes the loop throw it once the buffer is drained. */
  end(err: Error | null): void {
    if (this.done && this.error) return;
    if (err && !this.error) this.error = err;
    this.done = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    // Buffered messages are handed out first; waiting callers exist only when the buffer is empty.
    for (const w of this.waiting.drain()) {
      if (this.error) w.reject(this.error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  async next(): Promise<IteratorResult<Message>> {
    await this.ready;
    if (this.head < this.buffer.length && !this.stopping) {
      const msg = this.buffer[this.head]!;
      this.buffer[this.head++] = undefined as unknown as Message;
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer.splice(0, this.head);
        this.head = 0;
      }
      return { value: msg, done: false };
    }
    if (this.error) throw this.error;
    if (this.done) return { value: undefined, done: true };
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
    });
  }

  /** Leave the loop: cancel the consumer, requeue what was not handed out. */
  async return(): Promise<IteratorResult<Message>> {
    if (!this.stopping) {
      this.stopping = (async () => {
        try {
          await this.ready;
        } catch {
          return;
        }
        await this.stop(() => {
          const rest = this.buffer.splice(this.head);
          this.head = 0;
          this.buffer.length = 0;
          return rest;
        });
      })();
      this.end(null);
    }
    await this.stopping;
    return { value: undefined, done: true };
  }

  /** `await using messages = ch.consume(q)`: leave the loop (cancel, requeue) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The consumers of one channel by consumer tag. */
export class ConsumerRegistry {
  private readonly byTag = new Map<string, Consumer>();

  /** basic.consume-ok arrived: deliveries for `consumer.tag` go to it from now on. */
  add(consumer: Consumer): void {
    this.byTag.set(consumer.tag, consumer);
  }

  /** The consumer a basic.deliver names, if it is registered. */
  get(consumerTag: string): Consumer | undefined {
    return this.byTag.get(consumerTag);
  }

  /** Forget a consumer and end it (`err` null: cancelled by us). */
  remove(consumerTag: string, err: Error | null): void {
    const c = this.byTag.get(consumerTag);
    this.byTag.delete(consumerTag);
    c?.end(err);
  }

  /** The channel ended: end every consumer with `err`. */
  endAll(err: Error): void {
    const all = [...this.byTag.values()];
    this.byTag.clear();
    for (const c of all) c.end(err);
  }
}

/** A consumer that hands each delivery to `onMessage`, reporting its throws and rejections. */
export function callbackConsumer(tag: string, noAck: boolean, onMessage: ConsumeCallback, report: (err: unknown) => void): Consumer {
  return {
    tag,
    noAck,
    deliver: (msg) => {
      try {
        const r = onMessage(msg);
        if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(undefined, report);
      } catch (e) {
        report(e);
      }
    },
    end: () => undefined,
  };
}
