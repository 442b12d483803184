import { describe, expect, it } from 'vitest';
import { foreignProtocol } from '../../../src/protocol/foreign-peer.js';

describe('foreignProtocol', () => {
  it('recognises a TLS alert and a TLS handshake record, even from one byte', () => {
    expect(foreignProtocol(Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46))).toBe('tls');
    expect(foreignProtocol(Uint8Array.of(0x16, 0x03, 0x01))).toBe('tls');
    expect(foreignProtocol(Uint8Array.of(0x15))).toBe('tls');
  });

  it('recognises an HTTP status line', () => {
    expect(foreignProtocol(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toBe('http');
  });

  it('leaves AMQP alone: frames, the protocol header, and bytes it cannot place', () => {
    expect(foreignProtocol(Uint8Array.of(1, 0, 0, 0, 0, 0, 4))).toBeNull();
    expect(foreignProtocol(Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0xce))).toBeNull();
    expect(foreignProtocol(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'))).toBeNull();
    expect(foreignProtocol(Uint8Array.of(0x16, 0x01))).toBeNull();
    expect(foreignProtocol(Buffer.from('HTT'))).toBeNull();
  });
});
