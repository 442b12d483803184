import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../../src/client/options/index.js';
import { parseAmqpUrl, redactUrl, type AmqpUrlFields } from '../../../src/client/options/url.js';
import { expectThrown } from '../../support/expect-errors.js';

describe('parseAmqpUrl: scheme, user info, host, port', () => {
  const cases: Array<[string, AmqpUrlFields]> = [
    ['amqp://', { tls: false }],
    ['amqp://h', { tls: false, host: 'h' }],
    ['AMQP://h', { tls: false, host: 'h' }],
    ['amqps://h', { tls: true, host: 'h' }],
    ['amqp://user:pass@h:1234/vh', { tls: false, username: 'user', password: 'pass', host: 'h', port: 1234, vhost: 'vh' }],
    ['amqp://us%C3%A9r:p%40ss@h', { tls: false, username: 'usér', password: 'p@ss', host: 'h' }],
    ['amqp://u%3Ax:p%3Ay%2F%3F%23@h', { tls: false, username: 'u:x', password: 'p:y/?#', host: 'h' }],
    ['amqp://%E2%82%AC:%F0%9F%90%87@h', { tls: false, username: '€', password: '🐇', host: 'h' }],
    ['amqp://user@h', { tls: false, username: 'user', host: 'h' }],
    ['amqp://:@h', { tls: false, username: '', password: '', host: 'h' }],
    ['amqp://u:p@ss@h', { tls: false, username: 'u', password: 'p@ss', host: 'h' }],
    ['amqp://u:a:b@h', { tls: false, username: 'u', password: 'a:b', host: 'h' }],
    ['amqp://ho%61st', { tls: false, host: 'hoast' }],
    ['amqp://[::1]', { tls: false, host: '::1' }],
    ['amqp://[::1]:5673', { tls: false, host: '::1', port: 5673 }],
    ['amqps://u:p@[2001:db8::1]:5673/v', { tls: true, username: 'u', password: 'p', host: '2001:db8::1', port: 5673, vhost: 'v' }],
    ['amqp://[fe80::1%25eth0]:5672', { tls: false, host: 'fe80::1%eth0', port: 5672 }],
    ['amqp://10.0.0.1:5672', { tls: false, host: '10.0.0.1', port: 5672 }],
    ['amqp://h:', { tls: false, host: 'h' }],
    ['amqp://:5673', { tls: false, port: 5673 }],
    ['amqp://h:65535', { tls: false, host: 'h', port: 65535 }],
    // an '@' after the authority is legal in a path or query
    ['amqp://h:5672/v@x?name=a@b', { tls: false, host: 'h', port: 5672, vhost: 'v@x', name: 'a@b' }],
  ];
  it.each(cases)('%s', (url, expected) => {
    expect(parseAmqpUrl(url)).toEqual(expected);
  });
});

describe('parseAmqpUrl: vhost', () => {
  const cases: Array<[string, string | undefined]> = [
    ['amqp://h', undefined],
    // documented choice: a bare trailing slash names no vhost, so the default '/' applies
    ['amqp://h/', undefined],
    ['amqp://h/?heartbeat=5', undefined],
    ['amqp://h/%2f', '/'],
    ['amqp://h/%2F', '/'],
    ['amqp://h/vh', 'vh'],
    ['amqp://h/v%2Fhost', 'v/host'],
    ['amqp:///vh', 'vh'],
    ['amqp://h/%C3%A9t%C3%A9', 'été'],
    ['amqp://h/a+b', 'a+b'],
    [`amqp://h/${'x'.repeat(255)}`, 'x'.repeat(255)],
  ];
  it.each(cases)('%s -> %s', (url, vhost) => {
    expect(parseAmqpUrl(url).vhost).toBe(vhost);
  });
});

describe('parseAmqpUrl: query parameters', () => {
  const cases: Array<[string, AmqpUrlFields]> = [
    ['heartbeat=10', { heartbeat: 10 }],
    ['heartbeat=0', { heartbeat: 0 }],
    ['frame_max=8192', { frameMax: 8192 }],
    ['frameMax=0', { frameMax: 0 }],
    ['frame_max=4294967295', { frameMax: 4294967295 }],
    ['channel_max=65535', { channelMax: 65535 }],
    ['channelMax=0', { channelMax: 0 }],
    ['connection_timeout=15000&connectionAttempts=3', { connectionTimeout: 15000, connectionAttempts: 3 }],
    ['retry_delay=500&socket_timeout=0', { retryDelay: 500, socketTimeout: 0 }],
    ['blocked_connection_timeout=60000', { blockedConnectionTimeout: 60000 }],
    ['close_timeout=1000&rpcTimeout=2000', { closeTimeout: 1000, rpcTimeout: 2000 }],
    ['auth_mechanism=external&auth_mechanism=plain', { authMechanism: ['EXTERNAL', 'PLAIN'] }],
    ['authMechanism=PLAIN,AMQPLAIN,plain', { authMechanism: ['PLAIN', 'AMQPLAIN'] }],
    ['locale=de_DE', { locale: 'de_DE' }],
    ['name=my%20app+1', { name: 'my app+1' }],
    ['connection_name=billing', { name: 'billing' }],
    ['connectionName=billing', { name: 'billing' }],
    ['&heartbeat=1&&', { heartbeat: 1 }],
    ['', {}],
  ];
  it.each(cases)('?%s', (query, expected) => {
    expect(parseAmqpUrl(`amqp://h?${query}`)).toEqual({ tls: false, host: 'h', ...expected });
  });

  const tlsCases: Array<[string, AmqpUrlFields]> = [
    ['verify=verify_none', { tls: { rejectUnauthorized: false } }],
    ['verify=verify_peer', { tls: { rejectUnauthorized: true } }],
    ['server_name_indication=broker.example', { tls: { servername: 'broker.example' } }],
    ['serverNameIndication=disable', { tls: { servername: '' } }],
    [
      'cacertfile=/etc/ca.pem&certfile=/etc/c.pem&keyfile=%2Fetc%2Fk.pem',
      { tls: true, tlsFiles: { ca: '/etc/ca.pem', cert: '/etc/c.pem', key: '/etc/k.pem' } },
    ],
  ];
  it.each(tlsCases)('amqps ?%s', (query, expected) => {
    expect(parseAmqpUrl(`amqps://h?${query}`)).toEqual({ host: 'h', ...expected });
  });
});

describe('parseAmqpUrl: errors', () => {
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['http://h', 'scheme', /scheme must be amqp or amqps, got 'http'/],
    ['amqp:h', undefined, /expected amqp:\/\//],
    ['localhost:5672', undefined, /expected amqp:\/\//],
    ['', undefined, /expected amqp:\/\//],
    ['amqp://h /', undefined, /whitespace/],
    ['amqp://h#frag', undefined, /fragment/],
    ['amqp://h:99999', 'port', /port must be an integer from 1 to 65535, got 99999/],
    ['amqp://h:0', 'port', /port must be an integer from 1 to 65535/],
    ['amqp://h:12ab', 'port', /port is not a number/],
    ['amqp://::1', 'host', /must be written in brackets/],
    ['amqp://[::1', 'host', /closing '\]'/],
    ['amqp://[nothost]:5672', 'host', /not an IPv6 address/],
    ['amqp://[::1]x', 'host', /after the IPv6 host/],
    ['amqp://h/a/b', 'vhost', /one path segment/],
    ['amqp://h//', 'vhost', /one path segment/],
    ['amqp://h/%ZZ', 'vhost', /vhost is not valid percent-encoded UTF-8/],
    ['amqp://h/%C3', 'vhost', /vhost is not valid percent-encoded UTF-8/],
    [`amqp://h/${'%C3%A9'.repeat(128)}`, 'vhost', /256 UTF-8 bytes long; the limit is 255/],
    ['amqp://h?hearbeat=10', 'hearbeat', /unknown query parameter 'hearbeat'/],
    ['amqp://h?frame_max', 'frame_max', /has no value/],
    ['amqp://h?heartbeat=', 'heartbeat', /non-negative integer, got ''/],
    ['amqp://h?heartbeat=-1', 'heartbeat', /non-negative integer, got '-1'/],
    ['amqp://h?heartbeat=1.5', 'heartbeat', /non-negative integer/],
    ['amqp://h?heartbeat=0x10', 'heartbeat', /non-negative integer/],
    ['amqp://h?heartbeat=65536', 'heartbeat', /from 0 to 65535, got 65536/],
    ['amqp://h?channel_max=65536', 'channel_max', /from 0 to 65535/],
    ['amqp://h?frame_max=4096', 'frame_max', /below 8192/],
    ['amqp://h?frameMax=8191', 'frameMax', /below 8192/],
    ['amqp://h?frame_max=4294967296', 'frame_max', /from 0 to 4294967295/],
    ['amqp://h?connection_attempts=0', 'connection_attempts', /from 1 to/],
    ['amqp://h?retry_delay=2147483648', 'retry_delay', /from 0 to 2147483647/],
    ['amqp://h?heartbeat=1&heartbeat=2', 'heartbeat', /more than once/],
    ['amqp://h?frame_max=8192&frameMax=8192', 'frameMax', /more than once/],
    ['amqp://h?name=a&connection_name=b', 'connection_name', /more than once/],
    ['amqp://h?auth_mechanism=kerberos', 'auth_mechanism', /PLAIN, AMQPLAIN, EXTERNAL, got "kerberos"/],
    ['amqp://h?auth_mechanism=plain,', 'auth_mechanism', /got ""/],
    ['amqp://h?locale=', 'locale', /must not be empty/],
    ['amqp://h?cacertfile=/ca.pem', 'cacertfile', /needs an amqps URL/],
    ['amqp://h?verify=verify_none', 'verify', /needs an amqps URL/],
    ['amqps://h?verify=yes', 'verify', /verify_peer or verify_none/],
    ['amqps://h?keyfile=', 'keyfile', /must be a file path/],
    ['amqps://h?server_name_indication=', 'server_name_indication', /host name or 'disable'/],
  ];
  it.each(cases)('%s', (url, option, message) => {
    const err = expectThrown(() => parseAmqpUrl(url), ArgumentError);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith('invalid AMQP URL')).toBe(true);
    expect(err.option).toBe(option);
  });

  it('rejects a non-string', () => {
    expect(() => parseAmqpUrl(42 as unknown as string)).toThrow(ArgumentError);
  });
});

describe('parseAmqpUrl: the password never appears in an error', () => {
  const secret = 'S3cr3tPw';
  // [url, fragments of the password that must not show]
  const urls: Array<[string, string[]]> = [
    [`amqp://u:${secret}@h:99999`, [secret]],
    [`amqp://u:${secret}@h?bogus=1`, [secret]],
    [`amqp://u:${secret}@h/a/b`, [secret]],
    [`http://u:${secret}@h`, [secret]],
    [`amqp://u:${secret}@h#x`, [secret]],
    [`amqp://u:${secret}%ZZ@h`, [secret]],
    // unescaped reserved characters cut the authority inside the password
    [`amqp://u:${secret}/x@h`, [secret]],
    [`amqp://u:31337/${secret}/x@h`, ['31337', secret]],
    [`amqp://u:31337?${secret}@h`, ['31337', secret]],
    [`amqp://u:31337?a=${secret}@h`, ['31337', secret]],
    [`amqp://u:${secret}#x@h`, [secret]],
    [`amqp://u:99999/${secret}@h`, ['99999', secret]],
    [`amqp://u:${secret} @h`, [secret]],
  ];
  it.each(urls)('%s', (url, fragments) => {
    const err = expectThrown(() => parseAmqpUrl(url), ArgumentError);
    for (const fragment of fragments) {
      expect(err.message).not.toContain(fragment);
      expect(String(err.option)).not.toContain(fragment);
      expect(err.stack ?? '').not.toContain(fragment);
    }
  });
});

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['amqp://u:p@h:5672/v?heartbeat=5', 'amqp://u:***@h:5672/v?heartbeat=5'],
    ['amqps://us%C3%A9r:p%40ss@[::1]/', 'amqps://us%C3%A9r:***@[::1]/'],
    ['amqp://u:@h', 'amqp://u:***@h'],
    ['amqp://u@h', 'amqp://u@h'],
    ['amqp://h:5672/v', 'amqp://h:5672/v'],
    ['amqp://u:p@ss@h', 'amqp://u:***@h'],
    ['amqp://u:pa/ss@h/v', 'amqp://u:***@h/v'],
    // an '@' after the authority hides more than needed, never less
    ['amqp://h:5672/v?name=a@b', 'amqp://h:***@b'],
    ['amqp:u:p@h', 'amqp:***@h'],
    ['u:p@h', 'u:***@h'],
    ['user:pw:x@h', 'user:***@h'],
    ['not a url', 'not a url'],
  ];
  it.each(cases)('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('parseAmqpUrl: property', () => {
  const text = fc.string({ unit: 'binary', maxLength: 20 });
  const host = fc.oneof(
    fc.domain().map((h) => ({ written: h, host: h })),
    fc.ipV4().map((h) => ({ written: h, host: h })),
    fc.ipV6().map((h) => ({ written: `[${h}]`, host: h })),
  );
  const vhost = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 });

  it('builds a URL from encodeURIComponent parts and reads the same fields back', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        host,
        fc.integer({ min: 1, max: 65535 }),
        text,
        text,
        vhost,
        (tls, h, port, username, password, vh) => {
          const e = encodeURIComponent;
          const url = `${tls ? 'amqps' : 'amqp'}://${e(username)}:${e(password)}@${h.written}:${port}/${e(vh)}`;
          expect(parseAmqpUrl(url)).toEqual({ tls, host: h.host, port, username, password, vhost: vh });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('redactUrl hides every password of a well-formed URL', () => {
    fc.assert(
      fc.property(text, fc.string({ unit: 'binary', minLength: 4, maxLength: 20 }), (username, password) => {
        const url = `amqp://${encodeURIComponent(username)}:${encodeURIComponent(password)}@h/v`;
        expect(redactUrl(url)).toBe(`amqp://${encodeURIComponent(username)}:***@h/v`);
      }),
    );
  });
});
