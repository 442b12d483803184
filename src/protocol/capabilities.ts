/**
 * The `capabilities` tables of the handshake: what a client announces in client_properties and
 * what a server announces in server_properties (RabbitMQ's extensions to 0-9-1). Each side reads
 * the other's table to know which extensions it may use; RabbitMQ only sends connection.blocked
 * and the authentication-failure close to clients that announce them.
 * @packageDocumentation
 */
import type { FieldTable } from '../frames/field-table.js';

/** The capabilities amqp-wire announces in client_properties: the extensions it handles. */
export const CLIENT_CAPABILITIES: Readonly<FieldTable> = Object.freeze({
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  authentication_failure_close: true,
  per_consumer_qos: true,
});

/** What RabbitMQ 3.x/4.x announces in server_properties (used by the fake brokers of tests and benches). */
export const SERVER_CAPABILITIES: Readonly<FieldTable> = Object.freeze({
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
  direct_reply_to: true,
});
