/**
 * SASL mechanisms for connection.start-ok / secure-ok.
 * @packageDocumentation
 */
import { Writer } from '../frames/writer.js';
import { writeTable } from '../frames/field-table.js';

/** The SASL mechanisms amqp-wire speaks. */
export type AuthMechanism = 'PLAIN' | 'AMQPLAIN' | 'EXTERNAL';

/** Credentials a mechanism may use. */
export interface SaslCredentials {
  username: string;
  password: string;
}

/** The initial response for `mechanism`. */
export function saslResponse(mechanism: AuthMechanism, c: SaslCredentials): Buffer {
  switch (mechanism) {
    case 'PLAIN':
      // RFC 4616: authzid NUL authcid NUL password, with an empty authzid.
      return Buffer.from(`\u0000${c.username}\u0000${c.password}`, 'utf8');
    case 'AMQPLAIN': {
      // RabbitMQ's AMQPLAIN: a field table's entries WITHOUT the table's own length prefix.
      const w = new Writer(64);
      writeTable(w, { LOGIN: c.username, PASSWORD: c.password });
      return Buffer.from(w.buf.subarray(4, w.pos));
    }
    case 'EXTERNAL':
      // Identity comes from the TLS client certificate; the response is empty.
      return Buffer.alloc(0);
  }
}

/**
 * Pick the first of the client's mechanisms that the server offers (connection.start's
 * `mechanisms` is a space-separated list). Undefined when there is none.
 */
export function chooseMechanism(wanted: readonly AuthMechanism[], offered: string): AuthMechanism | undefined {
  const server = new Set(offered.split(/\s+/).filter(Boolean));
  return wanted.find((m) => server.has(m));
}
