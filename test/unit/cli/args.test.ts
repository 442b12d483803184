import { describe, expect, it } from 'vitest';
import { CliUsageError, DEFAULT_URL, ExitCode, intOption, resolveUrl } from '../../../src/cli/args.js';
import { consumeCommand } from '../../../src/cli/commands/consume.js';
import { demoCommand } from '../../../src/cli/commands/demo.js';
import { publishCommand } from '../../../src/cli/commands/publish.js';
import { rpcCallCommand } from '../../../src/cli/commands/rpc-call.js';
import { rpcServerCommand } from '../../../src/cli/commands/rpc-server.js';

const NO_ENV = {};

describe('shared options', () => {
  it('takes the URL from --url, else AMQP_URL, else the local default', () => {
    expect(resolveUrl('amqp://a:b@h/', { AMQP_URL: 'amqp://env/' })).toBe('amqp://a:b@h/');
    expect(resolveUrl(undefined, { AMQP_URL: 'amqp://env/' })).toBe('amqp://env/');
    expect(resolveUrl(undefined, { AMQP_URL: '' })).toBe(DEFAULT_URL);
    expect(DEFAULT_URL).toBe('amqp://guest:guest@localhost:5672/');
    expect(() => resolveUrl('', {})).toThrow(CliUsageError);
  });

  it('reads whole numbers within range only', () => {
    expect(intOption(undefined, 'count', 1)).toBeUndefined();
    expect(intOption('10', 'count', 1)).toBe(10);
    for (const bad of ['0', '1.5', 'ten', '', '1e3']) expect(() => intOption(bad, 'count', 1)).toThrow(CliUsageError);
    expect(() => intOption('70000', 'prefetch', 0, 65535)).toThrow(/between 0 and 65535/);
  });

  it('documents distinct exit codes', () => {
    expect(ExitCode).toMatchObject({ OK: 0, FAILURE: 1, USAGE: 2, CANNOT_CONNECT: 3 });
  });

  it.each([publishCommand, consumeCommand, rpcServerCommand, rpcCallCommand, demoCommand])('$name accepts --help and -h without other arguments', (cmd) => {
    expect((cmd.parse as (a: string[], e: object) => { help: boolean })(['--help'], NO_ENV).help).toBe(true);
    expect((cmd.parse as (a: string[], e: object) => { help: boolean })(['-h'], NO_ENV).help).toBe(true);
    expect(cmd.help).toContain(`amqp-wire ${cmd.name}`);
    expect(cmd.help).toContain('--url');
    expect(cmd.help).toMatch(/Exit codes: 0/);
  });

  it.each([publishCommand, consumeCommand, rpcServerCommand, rpcCallCommand, demoCommand])('$name refuses an unknown option', (cmd) => {
    expect(() => (cmd.parse as (a: string[], e: object) => unknown)(['--queue', 'q', '--bogus'], NO_ENV)).toThrow(CliUsageError);
  });
});

describe('publish arguments', () => {
  const parse = (...argv: string[]) => publishCommand.parse(argv, NO_ENV);

  it('simple mode: --queue, the words joined as the message, --count', () => {
    expect(parse('--queue', 'hello', '--count', '10', '兔子')).toMatchObject({
      queue: 'hello', exchange: undefined, count: 10, message: '兔子', durable: false, persistent: false, url: DEFAULT_URL,
    });
    expect(parse('-q', 'hello', 'a', 'b').message).toBe('a b');
    expect(parse('-q', 'hello').message).toBe('Hello World!');
  });

  it('exchange modes take the seed defaults for routing key and message', () => {
    expect(parse('--exchange', 'logs', '--type', 'fanout')).toMatchObject({ type: 'fanout', routingKey: '', message: 'info: Hello World!' });
    expect(parse('--exchange', 'direct_logs')).toMatchObject({ type: 'direct', routingKey: 'info', message: 'Hello World!' });
    expect(parse('-e', 'topic_logs', '-t', 'topic')).toMatchObject({ routingKey: 'anonymous.info' });
    expect(parse('-e', 'topic_logs', '-t', 'topic', '-k', 'kern.critical', 'A', 'critical')).toMatchObject({ routingKey: 'kern.critical', message: 'A critical' });
  });

  it('flags: --durable, --persistent, --mandatory, --url', () => {
    expect(parse('-q', 'q', '--durable', '--persistent', '--mandatory', '--url', 'amqp://x/')).toMatchObject({
      durable: true, persistent: true, mandatory: true, url: 'amqp://x/',
    });
  });

  it.each([
    [[], /--queue or --exchange/],
    [['--queue', 'q', '--exchange', 'x'], /not both/],
    [['--queue', ''], /must not be empty/],
    [['--queue', 'q', '--routing-key', 'k'], /go with --exchange/],
    [['--exchange', 'x', '--type', 'fan'], /--type must be one of/],
    [['--queue', 'q', '--count', '0'], /--count/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });
});

describe('consume arguments', () => {
  const parse = (...argv: string[]) => consumeCommand.parse(argv, NO_ENV);

  it('simple, fanout, direct and topic modes', () => {
    expect(parse('--queue', 'hello')).toMatchObject({ queue: 'hello', exchange: undefined, bindingKeys: [], noAck: false, prefetch: undefined });
    expect(parse('--exchange', 'logs', '--type', 'fanout')).toMatchObject({ queue: '', exchange: 'logs', type: 'fanout', bindingKeys: [] });
    expect(parse('-e', 'direct_logs', '-b', 'info', '--binding-key', 'error')).toMatchObject({ type: 'direct', bindingKeys: ['info', 'error'] });
    expect(parse('-e', 'topic_logs', '-t', 'topic', '-b', '#')).toMatchObject({ type: 'topic', bindingKeys: ['#'] });
  });

  it('--count sets a matching prefetch unless --prefetch or --no-ack says otherwise', () => {
    expect(parse('-q', 'q', '--count', '3')).toMatchObject({ count: 3, prefetch: 3 });
    expect(parse('-q', 'q', '--count', '3', '--prefetch', '1')).toMatchObject({ count: 3, prefetch: 1 });
    expect(parse('-q', 'q', '--count', '3', '--no-ack')).toMatchObject({ count: 3, prefetch: undefined, noAck: true });
    expect(parse('-q', 'q', '--prefetch', '0').prefetch).toBe(0);
  });

  it.each([
    [[], /--queue or --exchange/],
    [['--exchange', 'direct_logs'], /needs at least one --binding-key/],
    [['--exchange', 'topic_logs', '--type', 'topic'], /needs at least one --binding-key/],
    [['--queue', 'q', '--binding-key', 'k'], /go with --exchange/],
    [['--queue', 'q', 'extra'], /positional/i],
    [['--queue', 'q', '--prefetch', '-1'], /--prefetch/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });
});

describe('rpc-server and rpc-call arguments', () => {
  it('rpc-server defaults to the seed: rpc_queue, prefetch 1', () => {
    expect(rpcServerCommand.parse([], NO_ENV)).toMatchObject({ queue: 'rpc_queue', prefetch: 1, count: undefined, durable: false });
    expect(rpcServerCommand.parse(['-q', 'other', '-p', '4', '-n', '2'], NO_ENV)).toMatchObject({ queue: 'other', prefetch: 4, count: 2 });
  });

  it('rpc-call defaults to fib(30) on rpc_queue over direct reply-to', () => {
    expect(rpcCallCommand.parse([], NO_ENV)).toMatchObject({ queue: 'rpc_queue', body: '30', replyQueue: 'direct', timeout: 30_000 });
    expect(rpcCallCommand.parse(['--reply-queue', 'exclusive', '--timeout', '500', '12'], NO_ENV)).toMatchObject({ replyQueue: 'exclusive', timeout: 500, body: '12' });
    expect(() => rpcCallCommand.parse(['--reply-queue', 'fast'], NO_ENV)).toThrow(/direct or exclusive/);
    expect(() => rpcCallCommand.parse(['--timeout', '0'], NO_ENV)).toThrow(/--timeout/);
  });
});

describe('demo arguments', () => {
  it('--only picks steps by title and refuses names that match none', () => {
    expect(demoCommand.parse(['--only', 'RPC', '--only', 'topic'], NO_ENV)).toMatchObject({ only: ['rpc', 'topic'], stepTimeout: 20_000 });
    expect(() => demoCommand.parse(['--only', 'nothing'], NO_ENV)).toThrow(/matches no step/);
  });
});
