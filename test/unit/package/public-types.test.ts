/**
 * Type-level tests of the public API: event maps, reply types, option types, disposables. The
 * `expectTypeOf` and `@ts-expect-error` lines are checked by `npm run typecheck` (tsc over the
 * tests): an unused `@ts-expect-error` is itself an error there, so a check that stops holding
 * fails the typecheck. The same kind of lines run against the published declarations in
 * declarations.test.ts.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Channel, Connection, ConsumerIterator, RpcClient, RpcServer, type ChannelEvents, type ClosedError, type ConnectionClosedError,
  type ConnectionEvents, type ConnectionState, type ConsumerHandle, type ExchangeType, type Message, type QueueDeclareResult,
  type ReturnedMessage,
} from '../../../src/index.js';

/** Never called: its body is what the compiler checks. */
function connectionTypes(conn: Connection): void {
  conn.on('close', (err) => expectTypeOf(err).toEqualTypeOf<ConnectionClosedError | undefined>());
  conn.on('blocked', (reason) => expectTypeOf(reason).toBeString());
  conn.once('unblocked', () => undefined);
  conn.off('error', (err: Error) => void err);
  // @ts-expect-error a misspelt event name
  conn.on('clsoe', () => undefined);
  // @ts-expect-error `blocked` passes a string, not a number
  conn.on('blocked', (reason: number) => void reason);
  // @ts-expect-error `unblocked` has no argument to take
  conn.on('unblocked', (what: string) => void what);
  expectTypeOf(conn.state).toEqualTypeOf<ConnectionState>();
  expectTypeOf(conn.isOpen).toBeBoolean();
  // @ts-expect-error isOpen is read-only
  conn.isOpen = false;
  expectTypeOf(conn.close()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(conn.channel()).resolves.toEqualTypeOf<Channel>();
  expectTypeOf(conn).toMatchTypeOf<AsyncDisposable>();
}

async function channelTypes(ch: Channel): Promise<void> {
  ch.on('return', (r) => expectTypeOf(r).toEqualTypeOf<ReturnedMessage>());
  ch.on('cancel', (tag) => expectTypeOf(tag).toBeString());
  ch.on('flow', (active) => expectTypeOf(active).toBeBoolean());
  ch.on('close', (err) => expectTypeOf(err).toEqualTypeOf<ClosedError | undefined>());
  ch.on('drain', () => undefined);
  // @ts-expect-error a misspelt event name
  ch.on('retrun', () => undefined);
  // @ts-expect-error `cancel` passes the consumer tag, a string
  ch.on('cancel', (tag: number) => void tag);
  expectTypeOf(ch.isOpen).toBeBoolean();
  expectTypeOf(ch.queueDeclare('q')).resolves.toEqualTypeOf<QueueDeclareResult>();
  expectTypeOf(ch.basicGet('q')).resolves.toEqualTypeOf<Message | null>();
  expectTypeOf(ch.basicPublish('', 'q', 'body', { deliveryMode: 2 })).toBeBoolean();
  // @ts-expect-error a body is a string or bytes
  ch.basicPublish('', 'q', { json: true });
  // @ts-expect-error an unknown option
  await ch.queueDeclare('q', { durabel: true });

  await ch.exchangeDeclare('logs', 'fanout');
  await ch.exchangeDeclare('delayed', 'x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } });
  expectTypeOf<'topic'>().toMatchTypeOf<ExchangeType>();
  expectTypeOf<'x-consistent-hash'>().toMatchTypeOf<ExchangeType>();
  // @ts-expect-error an exchange type is a string
  await ch.exchangeDeclare('logs', 42);

  const consumer = await ch.basicConsume('q', (msg) => { expectTypeOf(msg).toEqualTypeOf<Message>(); });
  expectTypeOf(consumer).toEqualTypeOf<ConsumerHandle>();
  expectTypeOf(consumer.consumerTag).toBeString();
  expectTypeOf(consumer).toMatchTypeOf<AsyncDisposable>();
  expectTypeOf(ch.consume('q')).toEqualTypeOf<ConsumerIterator>();
  expectTypeOf(ch.consume('q')).toMatchTypeOf<AsyncDisposable & AsyncIterable<Message>>();
  expectTypeOf(ch).toMatchTypeOf<AsyncDisposable>();
}

function rpcTypes(client: RpcClient, server: RpcServer): void {
  expectTypeOf(client.call('q', 'x')).resolves.toEqualTypeOf<Message>();
  expectTypeOf(client).toMatchTypeOf<AsyncDisposable>();
  expectTypeOf(server).toMatchTypeOf<AsyncDisposable>();
}

describe('public types', () => {
  it('event maps name every event the classes document', () => {
    expectTypeOf<keyof ConnectionEvents>().toEqualTypeOf<'close' | 'error' | 'blocked' | 'unblocked'>();
    expectTypeOf<keyof ChannelEvents>().toEqualTypeOf<'close' | 'error' | 'return' | 'drain' | 'cancel' | 'flow'>();
    // The checks above are the compiler's; at run time only the classes exist.
    expect([connectionTypes, channelTypes, rpcTypes].every((f) => typeof f === 'function')).toBe(true);
  });

  it('every closeable class disposes asynchronously through Symbol.asyncDispose', () => {
    expect(typeof Symbol.asyncDispose).toBe('symbol');
    for (const cls of [Connection, Channel, ConsumerIterator, RpcClient, RpcServer]) {
      expect(typeof cls.prototype[Symbol.asyncDispose], cls.name).toBe('function');
    }
  });
});
