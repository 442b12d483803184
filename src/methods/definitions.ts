/**
 * The method table: every class and method of AMQP 0-9-1 with RabbitMQ's extensions, each written
 * once. Field order here IS the wire order; argument types, encoders and decoders all derive from
 * these rows. test/unit/methods/conformance.test.ts checks them against the published spec JSON.
 *
 * Field names are the spec's, camelCased (`routing-key` -> `routingKey`). Fields with a third
 * element may be omitted when encoding: the deprecated `ticket`/`reserved` slots, `nowait`, and
 * `arguments` tables.
 * @packageDocumentation
 */
import type { FieldSpec } from './fields.js';

/** Static description of one method. */
export interface MethodDef<
  N extends string = string, F extends readonly FieldSpec[] = readonly FieldSpec[], R extends readonly string[] = readonly string[],
> {
  /** `classId << 16 | methodId`: see `methodKey`. */
  readonly key: number;
  readonly classId: number;
  readonly methodId: number;
  /** `class.method`, e.g. `queue.declare`. */
  readonly name: N;
  /** Arguments in wire order. */
  readonly fields: F;
  /** Expects a reply (spec's "synchronous"). */
  readonly synchronous: boolean;
  /** Followed by a content header and body. */
  readonly content: boolean;
  /** The methods that may answer this one. */
  readonly replies: R;
}

interface Meta<R extends readonly string[]> {
  sync?: boolean;
  content?: boolean;
  replies?: R;
}

/**
 * The 32-bit key of a method: class id in the high half, method id in the low half, which is also
 * how the first four bytes of a method frame's payload read as one big-endian integer.
 */
export function methodKey(classId: number, methodId: number): number {
  return ((classId << 16) | methodId) >>> 0;
}

function def<const N extends string, const F extends readonly FieldSpec[], const R extends readonly string[] = readonly []>(
  classId: number, methodId: number, name: N, fields: F, meta: Meta<R> = {},
): MethodDef<N, F, R> {
  const replies = meta.replies ?? ([] as readonly string[] as R);
  return {
    key: methodKey(classId, methodId),
    classId,
    methodId,
    name,
    fields,
    synchronous: meta.sync ?? replies.length > 0,
    content: meta.content ?? false,
    replies,
  };
}

// Reusable field specs.
const ticket = ['ticket', 'short', 0] as const;
const nowait = ['nowait', 'bit', false] as const;
const args = ['arguments', 'table', {}] as const;
const replyCode = ['replyCode', 'short'] as const;
const replyText = ['replyText', 'shortstr'] as const;

/** Every method, grouped by class in id order. */
export const METHODS = [
  // connection (10)
  def(10, 10, 'connection.start', [['versionMajor', 'octet'], ['versionMinor', 'octet'], ['serverProperties', 'table'], ['mechanisms', 'longstr'], ['locales', 'longstr']], { replies: ['connection.start-ok'] }),
  def(10, 11, 'connection.start-ok', [['clientProperties', 'table'], ['mechanism', 'shortstr'], ['response', 'longstr'], ['locale', 'shortstr']]),
  def(10, 20, 'connection.secure', [['challenge', 'longstr']], { replies: ['connection.secure-ok'] }),
  def(10, 21, 'connection.secure-ok', [['response', 'longstr']]),
  def(10, 30, 'connection.tune', [['channelMax', 'short'], ['frameMax', 'long'], ['heartbeat', 'short']], { replies: ['connection.tune-ok'] }),
  def(10, 31, 'connection.tune-ok', [['channelMax', 'short'], ['frameMax', 'long'], ['heartbeat', 'short']]),
  def(10, 40, 'connection.open', [['virtualHost', 'shortstr'], ['capabilities', 'shortstr', ''], ['insist', 'bit', false]], { replies: ['connection.open-ok'] }),
  def(10, 41, 'connection.open-ok', [['knownHosts', 'shortstr', '']]),
  def(10, 50, 'connection.close', [replyCode, replyText, ['classId', 'short'], ['methodId', 'short']], { replies: ['connection.close-ok'] }),
  def(10, 51, 'connection.close-ok', []),
  def(10, 60, 'connection.blocked', [['reason', 'shortstr', '']]),
  def(10, 61, 'connection.unblocked', []),
  def(10, 70, 'connection.update-secret', [['newSecret', 'longstr'], ['reason', 'shortstr']], { replies: ['connection.update-secret-ok'] }),
  def(10, 71, 'connection.update-secret-ok', []),
  // channel (20)
  def(20, 10, 'channel.open', [['outOfBand', 'shortstr', '']], { replies: ['channel.open-ok'] }),
  def(20, 11, 'channel.open-ok', [['channelId', 'longstr', '']]),
  def(20, 20, 'channel.flow', [['active', 'bit']], { replies: ['channel.flow-ok'] }),
  def(20, 21, 'channel.flow-ok', [['active', 'bit']]),
  def(20, 40, 'channel.close', [replyCode, replyText, ['classId', 'short'], ['methodId', 'short']], { replies: ['channel.close-ok'] }),
  def(20, 41, 'channel.close-ok', []),
  // access (30): deprecated, RabbitMQ still answers it
  def(30, 10, 'access.request', [['realm', 'shortstr', '/data'], ['exclusive', 'bit', false], ['passive', 'bit', true], ['active', 'bit', true], ['write', 'bit', true], ['read', 'bit', true]], { replies: ['access.request-ok'] }),
  def(30, 11, 'access.request-ok', [['ticket', 'short', 1]]),
  // exchange (40)
  def(40, 10, 'exchange.declare', [ticket, ['exchange', 'shortstr'], ['type', 'shortstr'], ['passive', 'bit'], ['durable', 'bit'], ['autoDelete', 'bit'], ['internal', 'bit'], nowait, args], { replies: ['exchange.declare-ok'] }),
  def(40, 11, 'exchange.declare-ok', []),
  def(40, 20, 'exchange.delete', [ticket, ['exchange', 'shortstr'], ['ifUnused', 'bit'], nowait], { replies: ['exchange.delete-ok'] }),
  def(40, 21, 'exchange.delete-ok', []),
  def(40, 30, 'exchange.bind', [ticket, ['destination', 'shortstr'], ['source', 'shortstr'], ['routingKey', 'shortstr'], nowait, args], { replies: ['exchange.bind-ok'] }),
  def(40, 31, 'exchange.bind-ok', []),
  def(40, 40, 'exchange.unbind', [ticket, ['destination', 'shortstr'], ['source', 'shortstr'], ['routingKey', 'shortstr'], nowait, args], { replies: ['exchange.unbind-ok'] }),
  // RabbitMQ numbers unbind-ok 51, not 41.
  def(40, 51, 'exchange.unbind-ok', []),
  // queue (50)
  def(50, 10, 'queue.declare', [ticket, ['queue', 'shortstr'], ['passive', 'bit'], ['durable', 'bit'], ['exclusive', 'bit'], ['autoDelete', 'bit'], nowait, args], { replies: ['queue.declare-ok'] }),
  def(50, 11, 'queue.declare-ok', [['queue', 'shortstr'], ['messageCount', 'long'], ['consumerCount', 'long']]),
  def(50, 20, 'queue.bind', [ticket, ['queue', 'shortstr'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], nowait, args], { replies: ['queue.bind-ok'] }),
  def(50, 21, 'queue.bind-ok', []),
  def(50, 30, 'queue.purge', [ticket, ['queue', 'shortstr'], nowait], { replies: ['queue.purge-ok'] }),
  def(50, 31, 'queue.purge-ok', [['messageCount', 'long']]),
  def(50, 40, 'queue.delete', [ticket, ['queue', 'shortstr'], ['ifUnused', 'bit'], ['ifEmpty', 'bit'], nowait], { replies: ['queue.delete-ok'] }),
  def(50, 41, 'queue.delete-ok', [['messageCount', 'long']]),
  def(50, 50, 'queue.unbind', [ticket, ['queue', 'shortstr'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], args], { replies: ['queue.unbind-ok'] }),
  def(50, 51, 'queue.unbind-ok', []),
  // basic (60)
  def(60, 10, 'basic.qos', [['prefetchSize', 'long'], ['prefetchCount', 'short'], ['global', 'bit']], { replies: ['basic.qos-ok'] }),
  def(60, 11, 'basic.qos-ok', []),
  def(60, 20, 'basic.consume', [ticket, ['queue', 'shortstr'], ['consumerTag', 'shortstr'], ['noLocal', 'bit'], ['noAck', 'bit'], ['exclusive', 'bit'], nowait, args], { replies: ['basic.consume-ok'] }),
  def(60, 21, 'basic.consume-ok', [['consumerTag', 'shortstr']]),
  def(60, 30, 'basic.cancel', [['consumerTag', 'shortstr'], nowait], { replies: ['basic.cancel-ok'] }),
  def(60, 31, 'basic.cancel-ok', [['consumerTag', 'shortstr']]),
  def(60, 40, 'basic.publish', [ticket, ['exchange', 'shortstr'], ['routingKey', 'shortstr'], ['mandatory', 'bit'], ['immediate', 'bit', false]], { content: true }),
  def(60, 50, 'basic.return', [replyCode, replyText, ['exchange', 'shortstr'], ['routingKey', 'shortstr']], { content: true }),
  def(60, 60, 'basic.deliver', [['consumerTag', 'shortstr'], ['deliveryTag', 'longlong'], ['redelivered', 'bit'], ['exchange', 'shortstr'], ['routingKey', 'shortstr']], { content: true }),
  def(60, 70, 'basic.get', [ticket, ['queue', 'shortstr'], ['noAck', 'bit']], { replies: ['basic.get-ok', 'basic.get-empty'] }),
  def(60, 71, 'basic.get-ok', [['deliveryTag', 'longlong'], ['redelivered', 'bit'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], ['messageCount', 'long']], { content: true }),
  def(60, 72, 'basic.get-empty', [['clusterId', 'shortstr', '']]),
  def(60, 80, 'basic.ack', [['deliveryTag', 'longlong'], ['multiple', 'bit']]),
  def(60, 90, 'basic.reject', [['deliveryTag', 'longlong'], ['requeue', 'bit']]),
  def(60, 100, 'basic.recover-async', [['requeue', 'bit']]),
  def(60, 110, 'basic.recover', [['requeue', 'bit']], { replies: ['basic.recover-ok'] }),
  def(60, 111, 'basic.recover-ok', []),
  def(60, 120, 'basic.nack', [['deliveryTag', 'longlong'], ['multiple', 'bit'], ['requeue', 'bit']]),
  // tx (90)
  def(90, 10, 'tx.select', [], { replies: ['tx.select-ok'] }),
  def(90, 11, 'tx.select-ok', []),
  def(90, 20, 'tx.commit', [], { replies: ['tx.commit-ok'] }),
  def(90, 21, 'tx.commit-ok', []),
  def(90, 30, 'tx.rollback', [], { replies: ['tx.rollback-ok'] }),
  def(90, 31, 'tx.rollback-ok', []),
  // confirm (85): RabbitMQ extension
  def(85, 10, 'confirm.select', [nowait], { replies: ['confirm.select-ok'] }),
  def(85, 11, 'confirm.select-ok', []),
] as const;

/** Class ids and names. */
export const CLASS_NAMES: ReadonlyMap<number, string> = new Map([
  [10, 'connection'], [20, 'channel'], [30, 'access'], [40, 'exchange'], [50, 'queue'], [60, 'basic'], [85, 'confirm'], [90, 'tx'],
]);
