import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { brokerUrl } from '../support/broker.js';
import { closedPort, compile, killAll, run, start } from './processes.js';

const ex = (name: string): string => `build/examples/${name}.js`;
const WAITING_MESSAGES = ' [*] Waiting for messages. To exit press CTRL+C';
const WAITING_LOGS = ' [*] Waiting for logs. To exit press CTRL+C';
let env: Record<string, string>;

beforeAll(async () => {
  await compile('examples/tsconfig.json');
  env = { AMQP_URL: brokerUrl() };
  // The examples use the seed's fixed queue names: start from empty queues.
  const conn = await connect(brokerUrl());
  const ch = await conn.channel();
  for (const q of ['hello', 'rpc_queue']) {
    await ch.queueDeclare(q);
    await ch.queuePurge(q);
  }
  await conn.close();
}, 120_000);

afterEach(killAll);
afterAll(killAll);

describe('the seed examples, run as scripts against the broker', () => {
  it('send / receive: ten 兔子 messages through the queue hello', async () => {
    const receiver = start(ex('receive'), ['--count', '10'], env);
    await receiver.waitForLine(WAITING_MESSAGES);
    const sent = await run(ex('send'), [], env);
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    expect(sent.lines).toEqual(["Sent '兔子' * 10"]);

    const received = await receiver.ended;
    expect(received).toMatchObject({ code: 0, stderr: '' });
    expect(received.lines).toEqual([WAITING_MESSAGES, ...Array.from({ length: 10 }, (_, i) => ` [x] Received '兔子${i}'`)]);
  });

  it('emit_log / receive_logs: every receiver of the fanout exchange logs gets the message', async () => {
    const receivers = [start(ex('receive_logs'), ['--count', '2'], env), start(ex('receive_logs'), ['--count', '2'], env)];
    for (const r of receivers) await r.waitForLine(WAITING_LOGS);

    const first = await run(ex('emit_log'), [], env);
    expect(first).toMatchObject({ code: 0, lines: [" [x] Sent 'info: Hello World!'"] });
    const second = await run(ex('emit_log'), ['warning:', "it's", '兔'], env);
    expect(second.lines).toEqual([` [x] Sent "warning: it's 兔"`]);

    for (const r of receivers) {
      const out = await r.ended;
      expect(out).toMatchObject({ code: 0, stderr: '' });
      // Python 3 prints bytes: non-ASCII as \x escapes, double quotes around a single quote.
      expect(out.lines).toEqual([WAITING_LOGS, " [x] b'info: Hello World!'", ` [x] b"warning: it's \\xe5\\x85\\x94"`]);
    }
  });

  it('emit_log_direct / receive_logs_direct: a receiver gets only the severities it bound', async () => {
    const receiver = start(ex('receive_logs_direct'), ['warning', 'error', '--count', '2'], env);
    await receiver.waitForLine(WAITING_LOGS);

    expect((await run(ex('emit_log_direct'), ['info', 'just info'], env)).lines).toEqual([" [x] Sent 'info':'just info'"]);
    expect((await run(ex('emit_log_direct'), ['warning', 'disk', 'low'], env)).lines).toEqual([" [x] Sent 'warning':'disk low'"]);
    expect((await run(ex('emit_log_direct'), ['error', 'Run.', 'Run.', 'Or', 'it', 'will', 'explode.'], env)).lines)
      .toEqual([" [x] Sent 'error':'Run. Run. Or it will explode.'"]);

    const out = await receiver.ended;
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.lines).toEqual([WAITING_LOGS, " [x] 'warning':b'disk low'", " [x] 'error':b'Run. Run. Or it will explode.'"]);
  });

  it("emit_log_direct keeps the seed's argument rule: a lone argument is not the severity", async () => {
    expect((await run(ex('emit_log_direct'), [], env)).lines).toEqual([" [x] Sent 'info':'Hello World!'"]);
    expect((await run(ex('emit_log_direct'), ['error'], env)).lines).toEqual([" [x] Sent 'info':'Hello World!'"]);
  });

  it('receive_logs_direct and receive_logs_topic without arguments print the usage and exit 1', async () => {
    const direct = await run(ex('receive_logs_direct'), [], env);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toBe('Usage: build/examples/receive_logs_direct.js [info] [warning] [error]\n');
    const topic = await run(ex('receive_logs_topic'), [], env);
    expect(topic.code).toBe(1);
    expect(topic.stderr).toBe('Usage: build/examples/receive_logs_topic.js [binding_key]...\n');
  });

  it('emit_log_topic / receive_logs_topic: "kern.*" and "*.critical" receive what matches', async () => {
    const kern = start(ex('receive_logs_topic'), ['kern.*', '--count', '1'], env);
    const critical = start(ex('receive_logs_topic'), ['*.critical', '--count', '2'], env);
    const all = start(ex('receive_logs_topic'), ['#', '--count', '3'], env);
    for (const r of [kern, critical, all]) await r.waitForLine(WAITING_LOGS);

    expect((await run(ex('emit_log_topic'), ['kern.critical', 'A critical kernel error'], env)).lines)
      .toEqual([" [x] Sent 'kern.critical':'A critical kernel error'"]);
    expect((await run(ex('emit_log_topic'), ['app.critical', 'app down'], env)).code).toBe(0);
    expect((await run(ex('emit_log_topic'), [], env)).lines).toEqual([" [x] Sent 'anonymous.info':'Hello World!'"]);

    expect((await kern.ended).lines).toEqual([WAITING_LOGS, " [x] 'kern.critical':b'A critical kernel error'"]);
    expect((await critical.ended).lines).toEqual([WAITING_LOGS, " [x] 'kern.critical':b'A critical kernel error'", " [x] 'app.critical':b'app down'"]);
    expect((await all.ended).lines).toEqual([
      WAITING_LOGS, " [x] 'kern.critical':b'A critical kernel error'", " [x] 'app.critical':b'app down'", " [x] 'anonymous.info':b'Hello World!'",
    ]);
  });

  it('rpc_server / rpc_client: fib(30) = 832040 over rpc_queue', async () => {
    const server = start(ex('rpc_server'), ['--count', '1'], env);
    await server.waitForLine(' [x] Awaiting RPC requests');
    const client = await run(ex('rpc_client'), [], env);
    expect(client).toMatchObject({ code: 0, stderr: '' });
    expect(client.lines).toEqual([' [x] Requesting fib(30)', ' [.] Got 832040']);
    const served = await server.ended;
    expect(served).toMatchObject({ code: 0, stderr: '' });
    expect(served.lines).toEqual([' [x] Awaiting RPC requests', ' [.] fib(30)']);
  });

  it('a consumer closes cleanly and exits 0 on Ctrl-C (SIGINT)', async () => {
    for (const [script, args, line] of [['receive', [], WAITING_MESSAGES], ['receive_logs_topic', ['#'], WAITING_LOGS], ['rpc_server', [], ' [x] Awaiting RPC requests']] as const) {
      const consumer = start(ex(script), args, env);
      await consumer.waitForLine(line);
      consumer.process.kill('SIGINT');
      const out = await consumer.ended;
      expect({ script, code: out.code, signal: out.signal, stderr: out.stderr }).toEqual({ script, code: 0, signal: null, stderr: '' });
    }
  });

  it('says how to start a broker when none answers', async () => {
    const port = await closedPort();
    const out = await run(ex('send'), [], { AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}/` });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain(`cannot connect to 127.0.0.1:${port}`);
    expect(out.stderr).toContain('apt-get install rabbitmq-server && rabbitmq-server -detached');
    expect(out.stderr).not.toContain('guest:guest');
  });

  it('prints one line, no stack trace, on a wrong password', async () => {
    const url = new URL(brokerUrl());
    url.password = 'not-the-password';
    const out = await run(ex('send'), [], { AMQP_URL: url.href });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('the broker refused the login; check the user and password in AMQP_URL');
    expect(out.stderr).not.toContain('not-the-password');
  });
});
