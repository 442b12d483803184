import { describe, expect, it } from 'vitest';
import { AuthenticationError, ConnectError, TimeoutError } from '../../../src/client/errors.js';
import { RpcError } from '../../../src/rpc/rpc.js';
import { CliUsageError } from '../../../src/cli/args.js';
import { CannotConnectError, describeFailure } from '../../../src/cli/broker.js';
import { FIB_MAX, fib, parseFibRequest } from '../../../src/cli/fib.js';
import { COMMANDS, runProgram } from '../../../src/cli/program.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runProgram(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  return { code, out, err };
}

describe('amqp-wire without a broker', () => {
  it('--help lists every command and the exit codes', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    for (const name of ['publish', 'consume', 'rpc-server', 'rpc-call', 'demo', 'trace', 'perf']) expect(text).toContain(`  ${name}`);
    expect([...COMMANDS.keys()]).toEqual(['publish', 'consume', 'rpc-server', 'rpc-call', 'demo', 'trace', 'perf']);
    expect(text).toContain('Exit codes: 0 ok, 1 failure, 2 usage error, 3 cannot connect');
  });

  it('exits 2 with the command list when no command or an unknown one is given', async () => {
    for (const argv of [[], ['frobnicate']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err[0]).toMatch(/no command given|unknown command 'frobnicate'/);
      expect(r.err.join('\n')).toContain('Usage: amqp-wire <command>');
    }
  });

  it('exits 2 on a bad argument, naming the command and pointing at its --help', async () => {
    const r = await cli('consume', '--prefetch', 'lots', '--queue', 'q');
    expect(r.code).toBe(2);
    expect(r.err).toEqual(["amqp-wire consume: --prefetch must be a whole number, got 'lots'", "Run 'amqp-wire consume --help' for its options."]);
  });

  it('prints a command help with --help and exits 0 before touching the network', async () => {
    const r = await cli('publish', '--help', '--url', 'amqp://nowhere.invalid/');
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toContain('Usage: amqp-wire publish');
  });
});

describe('failure lines and exit codes', () => {
  const refused = new ConnectError('127.0.0.1:1', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));

  it('no broker: exit 3, one line saying how to start one, no password', () => {
    const f = describeFailure(new CannotConnectError('amqp://guest:secret@127.0.0.1:1/', refused));
    expect(f.code).toBe(3);
    expect(f.line).not.toContain('\n');
    expect(f.line).not.toContain('secret');
    expect(f.line).toContain('cannot connect to 127.0.0.1:1 (ECONNREFUSED)');
    expect(f.line).toContain('apt-get install rabbitmq-server && rabbitmq-server -detached');
    expect(f.line).toContain('bash scripts/broker.sh start');
  });

  it('a refused login or a silent peer is exit 3 too, with its own reason', () => {
    const auth = new AuthenticationError({ replyCode: 403, replyText: 'ACCESS_REFUSED - Login was refused', classId: 0, methodId: 0, by: 'server' });
    expect(describeFailure(new CannotConnectError('amqp://u:p@h/', auth))).toMatchObject({ code: 3, line: expect.stringContaining('refused the login') });
    const slow = new TimeoutError('connect (AMQP handshake)', 10_000);
    expect(describeFailure(new CannotConnectError('amqp://h/', slow))).toMatchObject({ code: 3, line: expect.stringContaining('no AMQP handshake within 10000 ms') });
  });

  it('usage errors are 2, everything else that fails is 1', () => {
    expect(describeFailure(new CliUsageError('bad'))).toEqual({ code: 2, line: 'bad' });
    expect(describeFailure(new RpcError('boom', { queue: 'q' }))).toEqual({ code: 1, line: 'RpcError: boom' });
    expect(describeFailure(new Error('x')).code).toBe(1);
  });
});

describe('the fib service', () => {
  it("matches the seed's recursive fib", () => {
    const seedFib = (n: number): number => (n === 0 ? 0 : n === 1 ? 1 : seedFib(n - 1) + seedFib(n - 2));
    for (let n = 0; n <= 25; n++) expect(fib(n)).toBe(BigInt(seedFib(n)));
    expect(fib(30)).toBe(832040n);
    expect(fib(100)).toBe(354224848179261915075n);
  });

  it('reads requests as int() does and refuses the rest', () => {
    expect(parseFibRequest(Buffer.from('30'))).toBe(30);
    expect(parseFibRequest(Buffer.from(' 7\n'))).toBe(7);
    for (const bad of ['', 'thirty', '3.0', '-1', '1e3']) expect(() => parseFibRequest(Buffer.from(bad))).toThrow(TypeError);
    expect(() => parseFibRequest(Buffer.from(String(FIB_MAX + 1)))).toThrow(RangeError);
  });
});
