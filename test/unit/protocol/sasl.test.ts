import { describe, expect, it } from 'vitest';
import { chooseMechanism, saslResponse } from '../../../src/protocol/sasl.js';
import { Reader } from '../../../src/frames/reader.js';
import { readTable } from '../../../src/frames/field-table.js';

describe('SASL', () => {
  const creds = { username: 'us\u00e9r', password: 'p@ss\u00fc' };

  it('PLAIN is NUL user NUL password in UTF-8', () => {
    expect(saslResponse('PLAIN', creds)).toEqual(Buffer.from('\0us\u00e9r\0p@ss\u00fc', 'utf8'));
  });

  it('AMQPLAIN is a field table body without its length prefix', () => {
    const body = saslResponse('AMQPLAIN', creds);
    const framed = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    expect(readTable(new Reader(framed))).toEqual({ LOGIN: creds.username, PASSWORD: creds.password });
    expect(body.subarray(0, 6)).toEqual(Buffer.from([5, 0x4c, 0x4f, 0x47, 0x49, 0x4e])); // "LOGIN" key first
  });

  it('EXTERNAL sends an empty response', () => {
    expect(saslResponse('EXTERNAL', creds).length).toBe(0);
  });

  it('picks the first client preference the server offers', () => {
    expect(chooseMechanism(['PLAIN', 'AMQPLAIN'], 'AMQPLAIN PLAIN')).toBe('PLAIN');
    expect(chooseMechanism(['EXTERNAL', 'PLAIN'], 'PLAIN AMQPLAIN EXTERNAL')).toBe('EXTERNAL');
    expect(chooseMechanism(['EXTERNAL'], 'PLAIN AMQPLAIN')).toBeUndefined();
    expect(chooseMechanism(['PLAIN'], '  PLAIN  ')).toBe('PLAIN');
  });
});
