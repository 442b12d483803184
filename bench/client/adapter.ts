/**
 * What a client must offer to be benchmarked. amqp-wire implements it in `adapters/amqp-wire.ts`;
 * each peer in `bench/peers/<peer>-client.mjs`, next to its own `node_modules`. Each adapter uses
 * its client the way that client's documentation suggests: its own backpressure signal, its own
 * confirm API, its own RPC helper when it has one.
 * @packageDocumentation
 */
import type { WorkloadKind } from './workloads.js';

/** Options for {@link ClientAdapter.connect}. */
export interface AdapterConnectOptions {
  /** Set TCP_NODELAY (false: leave the client's socket default, Nagle on for every peer). */
  readonly noDelay: boolean;
  /** The workload about to run (a client may need a different entry point for RPC). */
  readonly kind: WorkloadKind;
  /** Confirmed publishes allowed outstanding (a client with its own bound is given this). */
  readonly window: number;
}

/** Options for {@link ClientAdapter.consume}. */
export interface AdapterConsumeOptions {
  readonly prefetch: number;
  /** Ack with `multiple` every this many messages; 1 acks each message on its own. */
  readonly ackEvery: number;
  readonly noAck: boolean;
  /** Stop after this many messages (Infinity: no limit). */
  readonly count: number;
  /**
   * Stop at the first 100th message after this `performance.now()` time (Infinity: no limit).
   * The message it stops at is the last one counted, and acked.
   */
  readonly deadline: number;
}

/** A waiting point the driver must await (backpressure); undefined means go on at once. */
export type Wait = Promise<unknown> | undefined;

/** One client under test. Methods are called in the order connect, setup..., work, close. */
export interface ClientAdapter {
  /** Package name as published, e.g. `amqplib`. */
  readonly name: string;
  readonly version: string;
  connect(url: string, options: AdapterConnectOptions): Promise<void>;
  /** Open the channel publishes go through; in confirm mode when `confirm`. */
  openPublisher(confirm: boolean): Promise<void>;
  /** One fire-and-forget publish to `queue` through the default exchange. */
  publish(queue: string, body: Buffer): Wait;
  /** One confirmed publish; exactly one of `ok` / `fail` is called once the broker answered. */
  publishConfirmed(queue: string, body: Buffer, ok: () => void, fail: (err: unknown) => void): Wait;
  /**
   * A round trip on the publishing channel (passive queue.declare), so the broker has read every
   * publish; resolves the declare-ok's message count.
   */
  sync(queue: string): Promise<number>;
  /**
   * Consume from `queue` until `count` messages or the deadline; resolves how many were consumed
   * once the last one is in and its ack written.
   */
  consume(queue: string, options: AdapterConsumeOptions): Promise<number>;
  /** Start an RPC server on `queue` that answers with the request body, and an RPC client. */
  rpcSetup(queue: string): Promise<void>;
  /** One request/reply round trip. */
  rpcCall(queue: string, body: Buffer): Promise<unknown>;
  close(): Promise<void>;
}
