/**
 * Recognising a peer that does not speak AMQP from the first bytes it sends, so that a wrong port
 * is reported as what it is rather than as "unknown frame type 21".
 * @packageDocumentation
 */

/** TLS record content types a server sends first: 21 alert (to a client hello it cannot parse), 22 handshake. */
const TLS_ALERT = 0x15;
const TLS_HANDSHAKE = 0x16;
/** Every TLS version since SSL 3.0 has major version 3 in the record header's second byte. */
const TLS_MAJOR = 0x03;
const HTTP = [0x48, 0x54, 0x54, 0x50]; // "HTTP"

/**
 * What protocol the server's first bytes are in, when it is recognisably not AMQP: `tls` for a
 * TLS record header, `http` for an HTTP status line; null for anything else (AMQP included).
 * Neither 0x15, 0x16 nor 'H' (72) is an AMQP frame type, so the test cannot misread AMQP.
 */
export function foreignProtocol(first: Uint8Array): 'tls' | 'http' | null {
  const b0 = first[0];
  if ((b0 === TLS_ALERT || b0 === TLS_HANDSHAKE) && (first.length < 2 || first[1] === TLS_MAJOR)) return 'tls';
  if (first.length >= HTTP.length && HTTP.every((c, i) => first[i] === c)) return 'http';
  return null;
}
