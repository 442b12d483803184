/**
 * `amqp-wire perf` reads PerfTest's command lines: recipes from RabbitMQ's PerfTest documentation
 * paste in, and a wrong or conflicting one is a usage error that says why.
 */
import { describe, expect, it } from 'vitest';
import { runProgram } from '../../../src/cli/program.js';
import { parsePerfArgs, PerfUsageError } from '../../../src/tools/perf/flags.js';

/** Split a shell line (single and double quotes, no escapes). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}
const parse = (line: string, env: Record<string, string> = {}) => parsePerfArgs(words(line), env);

describe('PerfTest recipes', () => {
  it('defaults are PerfTest\'s', () => {
    const c = parse('', {});
    expect(c).toMatchObject({
      uris: ['amqp://localhost'], producers: 1, consumers: 1, rate: 0, size: 12, confirm: 0, autoAck: false, multiAckEvery: 0, qos: 0,
      queues: [], exchange: 'direct', type: 'direct', routingKey: undefined, persistent: false, mandatory: false, queueType: 'classic',
      autoDelete: true, time: 0, pmessages: 0, cmessages: 0, interval: 1, format: 'default', workers: 1, nullBroker: false,
    });
    expect(c.id).toMatch(/^test-\d{6}-\d{3}$/);
  });

  it('AMQP_URL is the URI when no -h is given', () => {
    expect(parse('', { AMQP_URL: 'amqp://u:p@h:5673/v' }).uris).toEqual(['amqp://u:p@h:5673/v']);
  });

  it('-x 1 -y 2 -u "throughput-test-1" -a --id "test 1"', () => {
    expect(parse('-x 1 -y 2 -u "throughput-test-1" -a --id "test 1"')).toMatchObject({
      producers: 1, consumers: 2, queues: ['throughput-test-1'], autoAck: true, id: 'test 1',
    });
  });

  it('-x 1 -y 2 -u "throughput-test-3" --id "test 3" -f persistent -f mandatory -c 5000 -s 4000', () => {
    expect(parse('-x 1 -y 2 -u "throughput-test-3" --id "test 3" -f persistent -f mandatory -c 5000 -s 4000')).toMatchObject({
      persistent: true, mandatory: true, confirm: 5000, size: 4000,
    });
  });

  it('--queue-pattern \'perf-test-%d\' --queue-pattern-from 1 --queue-pattern-to 10 --producers 100 --consumers 100', () => {
    const c = parse("--queue-pattern 'perf-test-%d' --queue-pattern-from 1 --queue-pattern-to 10 --producers 100 --consumers 100");
    expect(c.queues).toEqual(Array.from({ length: 10 }, (_, i) => `perf-test-${i + 1}`));
    expect(c).toMatchObject({ producers: 100, consumers: 100 });
    expect(parse("-qp 'q-%d' -qpf 3 -qpt 4").queues).toEqual(['q-3', 'q-4']);
  });

  it('-x 1 -y 1 -r 100 -R 50 -z 10 -i 2 -q 500 -A 100 --metrics-format compact', () => {
    expect(parse('-x 1 -y 1 -r 100 -R 50 -z 10 -i 2 -q 500 -A 100 --metrics-format compact')).toMatchObject({
      rate: 100, consumerRate: 50, time: 10, interval: 2, qos: 500, multiAckEvery: 100, format: 'compact',
    });
  });

  it('--quorum-queue --queue qq: persistent, durable, not auto-delete, x-queue-type', () => {
    expect(parse('--quorum-queue --queue qq')).toMatchObject({
      queueType: 'quorum', persistent: true, autoDelete: false, queues: ['qq'], queueArgs: { 'x-queue-type': 'quorum' },
    });
  });

  it('-sq -u sq: stream, prefetch 200 unless -q', () => {
    expect(parse('-sq -u sq')).toMatchObject({ queueType: 'stream', qos: 200, queueArgs: { 'x-queue-type': 'stream' } });
    expect(parse('-sq -u sq -q 10').qos).toBe(10);
  });

  it('-qa x-max-length=1000,x-overflow=reject-publish -ad false -p', () => {
    expect(parse('-qa x-max-length=1000,x-overflow=reject-publish -ad false -p')).toMatchObject({
      queueArgs: { 'x-max-length': 1000, 'x-overflow': 'reject-publish' }, autoDelete: false, predeclared: true,
    });
  });

  it('several URIs: -h repeated, -H a comma list', () => {
    expect(parse('-h amqp://a -h amqp://b').uris).toEqual(['amqp://a', 'amqp://b']);
    expect(parse('-H amqp://a,amqp://b --uri amqp://c').uris).toEqual(['amqp://c', 'amqp://a', 'amqp://b']);
  });

  it('-e, -t, -k, -C, -D, -ms, -o, --uri=, -x4', () => {
    expect(parse('-e logs -t fanout -k rk -C 100 -D 200 -ms -o out.csv --uri=amqp://x -x4')).toMatchObject({
      exchange: 'logs', type: 'fanout', routingKey: 'rk', pmessages: 100, cmessages: 200, useMillis: true, outputFile: 'out.csv',
      uris: ['amqp://x'], producers: 4,
    });
  });

  it('-s below 12 still gives 12 bytes; -c -1 is off', () => {
    expect(parse('-s 4 -c -1')).toMatchObject({ size: 12, confirm: 0 });
  });

  it('our long-only flags', () => {
    expect(parse('--null-broker --workers 2 --report r.html --format json --max-nacked 0 --max-returned 5 --max-confirm-timeouts 1')).toMatchObject({
      nullBroker: true, workers: 2, report: 'r.html', format: 'json', maxNacked: 0, maxReturned: 5, maxConfirmTimeouts: 1,
    });
  });
});

describe('usage errors say why', () => {
  it.each([
    ['--bogus', "unknown option '--bogus'"],
    ['-zz 1', "unknown option '-zz'"],
    ['-qq -sq', 'conflict: a queue has one type'],
    ["-qp 'q-%d'", 'go together: give all three'],
    ['-qp q -qpf 1 -qpt 2', 'must contain %d'],
    ['-qp q-%d -qpf 5 -qpt 2', 'is above'],
    ['-u a -qp q-%d -qpf 1 -qpt 2', '-u/--queue and -qp/--queue-pattern conflict'],
    ['-a -A 10', '-a/--autoack and -A/--multi-ack-every conflict'],
    ['-f fast', "-f/--flag takes persistent or mandatory, got 'fast'"],
    ['-x 0 -y 0', 'nothing to run'],
    ['-x 0 -C 10', '-C/--pmessages needs producers'],
    ['-y 0 -D 10', '-D/--cmessages needs consumers'],
    ['-x two', "-x/--producers must be a whole number, got 'two'"],
    ['-r fast', "-r/--rate must be a number, got 'fast'"],
    ['-x', "option '-x' needs a value"],
    ['-x 1 -x 2', '--producers given twice'],
    ['--null-broker -h amqp://a', '--null-broker runs its own broker'],
    ['--format xml', '--format must be one of default, compact, csv, json'],
    ['--report r.pdf', '--report writes .html or .svg'],
    ['--workers 3 -x 1 -y 1', 'more than the 2 producers and consumers'],
    ['-k a -K', 'conflict'],
    ['-na', "not supported by amqp-wire perf"],
    ['publish', "unexpected argument 'publish'"],
  ])('%s', (line, message) => {
    expect(() => parse(line)).toThrow(PerfUsageError);
    expect(() => parse(line)).toThrow(message);
  });

  it('the CLI exits 2 with the reason', async () => {
    const err: string[] = [];
    const code = await runProgram(['perf', '-qq', '-sq'], { out: () => undefined, err: (l) => err.push(l) }, {});
    expect(code).toBe(2);
    expect(err[0]).toContain('amqp-wire perf: -qq/--quorum-queue and -sq/--stream-queue conflict');
  });

  it('--help and -? print the usage', async () => {
    for (const flag of ['--help', '-?']) {
      const out: string[] = [];
      expect(await runProgram(['perf', flag], { out: (l) => out.push(l), err: () => undefined }, {})).toBe(0);
      expect(out.join('\n')).toContain('Usage: amqp-wire perf');
    }
  });
});
