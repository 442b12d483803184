import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { brokerUrl } from '../support/broker.js';
import { closedPort, compile, killAll, run, start, type Ended } from './processes.js';

const MAIN = 'dist/cli/main.js';
const unique = (what: string): string => `amqp-wire-test-cli-${what}-${randomUUID().slice(0, 8)}`;
const WAITING_MESSAGES = ' [*] Waiting for messages. To exit press CTRL+C';
const WAITING_LOGS = ' [*] Waiting for logs. To exit press CTRL+C';

let env: Record<string, string>;
let conn: Connection;
const cli = (...args: string[]): Promise<Ended> => run(MAIN, args, env);
const cliStart = (...args: string[]) => start(MAIN, args, env);

beforeAll(async () => {
  await compile('tsconfig.build.json');
  env = { AMQP_URL: brokerUrl() };
  conn = await connect(brokerUrl(), { name: 'cli.test' });
}, 120_000);

afterEach(killAll);
afterAll(async () => {
  await killAll();
  await conn?.close();
});

/** Delete after the test (the CLI declares without auto-delete, as pika does). */
async function dropQueue(name: string): Promise<void> {
  const ch = await conn.channel();
  await ch.queueDelete(name);
  await ch.close();
}

async function dropExchange(name: string): Promise<void> {
  const ch = await conn.channel();
  await ch.exchangeDelete(name);
  await ch.close();
}

describe('amqp-wire --help', () => {
  it.each(['publish', 'consume', 'rpc-server', 'rpc-call', 'demo'])('%s --help prints its usage and exits 0', async (command) => {
    const out = await cli(command, '--help');
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.lines[0]).toBe(`Usage: amqp-wire ${command}${out.lines[0]!.slice(`Usage: amqp-wire ${command}`.length)}`);
    expect(out.stdout).toContain('--url URL');
  });

  it('lists the commands, and a usage error exits 2', async () => {
    expect((await cli('--help')).stdout).toContain('rpc-server');
    const bad = await cli('consume');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('consume needs --queue or --exchange');
  });
});

describe('publish and consume, each seed mode', () => {
  it('simple: --queue, ten messages with --count, acked by the consumer', async () => {
    const queue = unique('hello');
    const consumer = cliStart('consume', '--queue', queue, '--count', '10');
    await consumer.waitForLine(WAITING_MESSAGES);
    const sent = await cli('publish', '--queue', queue, '--count', '10', '兔子');
    expect(sent).toMatchObject({ code: 0, stderr: '', lines: ["Sent '兔子' * 10"] });
    const got = await consumer.ended;
    expect(got).toMatchObject({ code: 0, stderr: '' });
    expect(got.lines).toEqual([WAITING_MESSAGES, ...Array.from({ length: 10 }, (_, i) => ` [x] Received '兔子${i}'`)]);
    const ch = await conn.channel();
    expect((await ch.queueDeclare(queue, { passive: true })).messageCount).toBe(0);
    await ch.close();
    await dropQueue(queue);
  });

  it('fanout: every consumer bound to the exchange gets the message', async () => {
    const exchange = unique('logs');
    const consumers = [1, 2].map(() => cliStart('consume', '--exchange', exchange, '--type', 'fanout', '--count', '1'));
    for (const c of consumers) await c.waitForLine(WAITING_LOGS);
    expect((await cli('publish', '--exchange', exchange, '--type', 'fanout')).lines).toEqual([" [x] Sent 'info: Hello World!'"]);
    for (const c of consumers) expect((await c.ended)).toMatchObject({ code: 0, lines: [WAITING_LOGS, " [x] 'info: Hello World!'"] });
    await dropExchange(exchange);
  });

  it('direct: a consumer gets only the routing keys it bound', async () => {
    const exchange = unique('direct_logs');
    const consumer = cliStart('consume', '--exchange', exchange, '--binding-key', 'warning', '--binding-key', 'error', '--count', '2');
    await consumer.waitForLine(WAITING_LOGS);
    for (const [key, text] of [['info', 'just info'], ['warning', 'disk low'], ['error', 'Run. Run.']]) {
      const sent = await cli('publish', '--exchange', exchange, '--routing-key', key!, text!);
      expect(sent).toMatchObject({ code: 0, lines: [` [x] Sent '${key}':'${text}'`] });
    }
    expect(await consumer.ended).toMatchObject({ code: 0, lines: [WAITING_LOGS, " [x] 'warning':'disk low'", " [x] 'error':'Run. Run.'"] });
    await dropExchange(exchange);
  });

  it('topic: * matches one word, # any', async () => {
    const exchange = unique('topic_logs');
    const consumer = cliStart('consume', '-e', exchange, '-t', 'topic', '-b', 'kern.*', '-b', '*.critical', '--count', '2');
    const everything = cliStart('consume', '-e', exchange, '-t', 'topic', '-b', '#', '--count', '3');
    for (const c of [consumer, everything]) await c.waitForLine(WAITING_LOGS);
    for (const key of ['kern.info', 'app.critical', 'app.info']) {
      expect((await cli('publish', '-e', exchange, '-t', 'topic', '-k', key, `from ${key}`)).code).toBe(0);
    }
    expect(await consumer.ended).toMatchObject({ code: 0, lines: [WAITING_LOGS, " [x] 'kern.info':'from kern.info'", " [x] 'app.critical':'from app.critical'"] });
    expect((await everything.ended).lines).toHaveLength(4);
    await dropExchange(exchange);
  });

  it('--durable declares a durable queue and --persistent sets delivery mode 2', async () => {
    const queue = unique('durable');
    expect((await cli('publish', '--queue', queue, '--durable', '--persistent', 'keep me')).code).toBe(0);
    const ch = await conn.channel();
    const msg = await ch.basicGet(queue, { noAck: true });
    expect(msg?.text()).toBe('keep me');
    expect(msg?.properties.deliveryMode).toBe(2);
    await ch.close();
    // Declaring it again without --durable is refused by the broker: exit 1 with its reason.
    const clash = await cli('consume', '--queue', queue, '--count', '1');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/PRECONDITION_FAILED - inequivalent arg 'durable'/);
    expect(clash.stderr.trim().split('\n')).toHaveLength(1);
    await dropQueue(queue);
  });

  it('--mandatory fails with exit 1 when no queue takes the message', async () => {
    const exchange = unique('nowhere');
    const out = await cli('publish', '--exchange', exchange, '--routing-key', 'nobody', '--mandatory', 'lost');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('UnroutableError');
    expect(out.stderr).toContain('312');
    await dropExchange(exchange);
  });
});

describe('rpc-server and rpc-call', () => {
  it('answers fib over both reply modes, reports a bad request, and stops after --count', async () => {
    const queue = unique('rpc_queue');
    const server = cliStart('rpc-server', '--queue', queue, '--count', '3');
    await server.waitForLine(' [x] Awaiting RPC requests');

    expect(await cli('rpc-call', '--queue', queue)).toMatchObject({ code: 0, stderr: '', lines: [' [x] Requesting fib(30)', ' [.] Got 832040'] });
    expect(await cli('rpc-call', '--queue', queue, '--reply-queue', 'exclusive', '10')).toMatchObject({ code: 0, lines: [' [x] Requesting fib(10)', ' [.] Got 55'] });
    const bad = await cli('rpc-call', '--queue', queue, 'thirty');
    expect(bad.code).toBe(1);
    expect(bad.lines).toEqual([" [x] Requesting 'thirty'"]);
    expect(bad.stderr).toMatch(/^amqp-wire rpc-call: RpcError: .*invalid literal for int\(\) with base 10: "thirty"\n$/);

    expect(await server.ended).toMatchObject({ code: 0, stderr: '', lines: [' [x] Awaiting RPC requests', ' [.] fib(30)', ' [.] fib(10)'] });
    await dropQueue(queue);
  });

  it('rpc-call exits 1 on a timeout and on a queue that does not exist', async () => {
    const queue = unique('silent');
    const ch = await conn.channel();
    await ch.queueDeclare(queue, { exclusive: true });
    const slow = await cli('rpc-call', '--queue', queue, '--timeout', '300');
    expect(slow.code).toBe(1);
    expect(slow.stderr).toContain(`TimeoutError: rpc call to '${queue}' timed out after 300 ms`);
    await ch.close();

    const missing = await cli('rpc-call', '--queue', unique('missing'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UnroutableError');
  });
});

describe('demo', () => {
  it('runs every seed pattern and passes', async () => {
    const out = await cli('demo');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    for (const title of ['simple queue', 'work queue', 'fanout', 'direct', 'topic', 'RPC']) expect(out.lines).toContain(`  PASS  ${title}`);
    expect(out.lines.at(-1)).toBe('6/6 patterns passed: PASS');
    expect(out.stdout).toContain("send    sent '兔子9'");
    expect(out.stdout).toContain('rpc_client  [.] Got 832040');
    // Its names are unique to the run and deleted afterwards.
    const prefix = /names prefixed '([^']+)'/.exec(out.stdout)?.[1];
    expect(prefix).toMatch(/^amqp-wire-demo-[0-9a-f]{8}$/);
    const ch = await conn.channel();
    const gone = await ch.queueDeclare(`${prefix}-hello`, { passive: true }).then(() => 'exists', (e: Error) => e.message);
    expect(gone).toContain('NOT_FOUND');
  });
});

describe('without a broker', () => {
  it.each([
    ['publish', '--queue', 'q'], ['consume', '--queue', 'q'], ['rpc-server'], ['rpc-call'], ['demo'],
  ])('%s exits 3 with one line saying how to start one', async (...args) => {
    const port = await closedPort();
    const out = await run(MAIN, [...args, '--url', `amqp://guest:secret@127.0.0.1:${port}/`], {});
    expect(out.code).toBe(3);
    expect(out.stdout).toBe('');
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(lines[0]).toContain('apt-get install rabbitmq-server && rabbitmq-server -detached');
    expect(lines[0]).not.toContain('secret');
  });
});

describe('Ctrl-C', () => {
  it.each([
    [['consume', '--queue', unique('sigint')], WAITING_MESSAGES],
    [['consume', '--exchange', unique('sigint'), '--type', 'fanout'], WAITING_LOGS],
    [['rpc-server', '--queue', unique('sigint')], ' [x] Awaiting RPC requests'],
  ])('%j closes its connection and exits 0', async (args, ready) => {
    const child = cliStart(...args);
    await child.waitForLine(ready);
    child.process.kill('SIGINT');
    expect(await child.ended).toMatchObject({ code: 0, signal: null, stderr: '' });
    const name = args[2]!;
    if (args[1] === '--exchange') await dropExchange(name);
    else await dropQueue(name);
  });
});
