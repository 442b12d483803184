/**
 * Finding a real RabbitMQ for the integration tests, and the typed view tests get of it.
 *
 * The global setup (`global-setup.ts`) resolves a broker once per run and hands a
 * {@link BrokerInfo} to the test workers through vitest's `provide`/`inject`. Tests read it
 * through {@link brokerUrl}, {@link tlsInfo} and {@link brokerInfo}.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** Where the broker in use came from. */
export type BrokerSource = 'env' | 'listening' | 'rabbitmq-server' | 'testcontainers';

/** What the global setup provides to every integration test file. */
export interface BrokerInfo {
  /** Plain AMQP URL with credentials, e.g. `amqp://guest:guest@127.0.0.1:5672/`. */
  url: string;
  /** AMQPS URL of the same broker, or null when no TLS listener is known. */
  tlsUrl: string | null;
  /** Directory with `ca.pem`, `client.pem`, `client.key`, or null when unknown. */
  tlsDir: string | null;
  /** Erlang node name for `rabbitmqctl -n`, or null when the node cannot be reached that way. */
  nodeName: string | null;
  /** True when this test run started the broker and will stop it in teardown. */
  managed: boolean;
  /** Which of the lookup steps found the broker. */
  source: BrokerSource;
}

declare module 'vitest' {
  export interface ProvidedContext {
    broker: BrokerInfo;
  }
}

/** Files and names a test needs to open a TLS connection with a client certificate. */
export interface TlsInfo {
  /** AMQPS URL (carries guest credentials for PLAIN over TLS). */
  url: string;
  /** Directory holding the files below. */
  dir: string;
  /** CA certificate that signed the server certificate (PEM path). */
  caFile: string;
  /** Client certificate (PEM path). */
  certFile: string;
  /** Client private key (PEM path). */
  keyFile: string;
  /** Common name of the client certificate: the user EXTERNAL logs in as. */
  clientName: string;
}

/** Thrown when the test run has no broker, or lacks the part of it a test asked for. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
}

/** Repository root, from this file's location. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** The project node's script and state directory. */
export const BROKER_SCRIPT = join(REPO_ROOT, 'scripts', 'broker.sh');
export const PROJECT_BROKER_DIR = join(REPO_ROOT, '.tmp', 'rabbitmq');

/** URL of a broker on 127.0.0.1:5672 with RabbitMQ's localhost-only guest user. */
export const LOCAL_BROKER_URL = 'amqp://guest:guest@127.0.0.1:5672/';

/** The broker the global setup chose. Throws when the file runs outside the integration project. */
export function brokerInfo(): BrokerInfo {
  const info = inject('broker');
  if (info === undefined) {
    throw new BrokerUnavailableError(
      'no broker was provided: run this file in the vitest "integration" project (its globalSetup finds one)',
    );
  }
  return info;
}

/** Plain AMQP URL of the broker in use. */
export function brokerUrl(): string {
  return brokerInfo().url;
}

/** TLS details of the broker in use. Throws (never skips) when TLS is not available. */
export function tlsInfo(): TlsInfo {
  const info = brokerInfo();
  if (info.tlsUrl === null || info.tlsDir === null) {
    throw new BrokerUnavailableError(
      `TLS is not available on the broker in use (${info.source}, ${info.url}): run the project node ` +
        '(bash scripts/broker.sh start) or set AMQPS_URL and AMQP_TLS_DIR',
    );
  }
  const dir = info.tlsDir;
  const files = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client.key') };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) throw new BrokerUnavailableError(`TLS file missing: ${file}`);
  }
  return { url: info.tlsUrl, dir, ...files, clientName: commonName(readFileSync(files.certFile)) };
}

function commonName(pem: Buffer): string {
  const subject = new X509Certificate(pem).subject;
  const cn = subject.split('\n').find((part) => part.startsWith('CN='));
  if (cn === undefined) throw new BrokerUnavailableError(`client certificate has no CN: ${subject}`);
  return cn.slice(3);
}

/** The bytes a 0-9-1 client opens with (spec 4.2.2). */
const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/**
 * True when host:port answers the protocol header with a connection.start method frame
 * (type 1, channel 0, class 10, method 10).
 */
export function probeAmqp(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let reply = Buffer.alloc(0);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write(PROTOCOL_HEADER));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (reply.length >= 11) finish(isConnectionStart(reply));
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** Checks the first 11 bytes of a reply: frame type 1, channel 0, size, class 10, method 10. */
export function isConnectionStart(reply: Buffer): boolean {
  return (
    reply.length >= 11 &&
    reply[0] === 1 &&
    reply.readUInt16BE(1) === 0 &&
    reply.readUInt16BE(7) === 10 &&
    reply.readUInt16BE(9) === 10
  );
}

/** True when something accepts a TCP connection on host:port. */
export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => finish(false), timeoutMs);
    function finish(ok: boolean): void {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    }
    socket.on('connect', () => finish(true));
    socket.on('error', () => finish(false));
  });
}

/**
 * Runs the bash script at `path` with `args` from the repository root and resolves with its
 * stdout. Rejects with `failure(why)`: why it timed out, else its last stderr line (where the
 * project's scripts say what went wrong), else its stdout.
 */
export function runScript(
  path: string,
  args: readonly string[],
  timeoutMs: number,
  failure: (why: string) => Error,
): Promise<string> {
  return new Promise((done, fail) => {
    execFile('bash', [path, ...args], { timeout: timeoutMs, cwd: REPO_ROOT }, (error, stdout, stderr) => {
      if (error === null) return done(stdout);
      const why = error.killed
        ? `timed out after ${timeoutMs} ms`
        : (stderr.trim().split('\n').at(-1) ?? '') || stdout.trim() || error.message;
      fail(failure(why));
    });
  });
}

/** Runs `scripts/broker.sh <command>` and returns its stdout; rejects with its error line. */
export function runBrokerScript(command: 'start' | 'stop' | 'status' | 'env', timeoutMs = 150_000): Promise<string> {
  return runScript(
    BROKER_SCRIPT,
    [command],
    timeoutMs,
    (why) => new BrokerUnavailableError(`scripts/broker.sh ${command} failed: ${why}`),
  );
}

/** Parses `export NAME='value'` lines as printed by `scripts/broker.sh env`. */
export function parseExports(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const match of text.matchAll(/^export ([A-Z_]+)='([^']*)'$/gm)) {
    const [, name, value] = match;
    if (name !== undefined && value !== undefined) vars.set(name, value);
  }
  return vars;
}

/** True when the project node's pid file names a live process. */
export function projectNodeAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(PROJECT_BROKER_DIR, 'node.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    // A stale pid file may name a pid since reused by another program.
    return !existsSync(`/proc/${pid}/comm`) || readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('beam');
  } catch {
    return false;
  }
}

/**
 * When the broker on 127.0.0.1:5672 is the project node started by `scripts/broker.sh` (from this
 * checkout, or from another one on this machine), returns its TLS URL, TLS directory and node
 * name; otherwise null.
 */
export async function projectNodeDetails(): Promise<Pick<BrokerInfo, 'tlsUrl' | 'tlsDir' | 'nodeName'> | null> {
  const vars = parseExports(await runBrokerScript('env', 10_000));
  const tlsUrl = vars.get('AMQPS_URL');
  const nodeName = vars.get('RABBITMQ_NODENAME');
  if (tlsUrl === undefined || nodeName === undefined) return null;
  const tlsDir = projectNodeAlive() ? vars.get('AMQP_TLS_DIR') : await tlsDirOfNode(nodeName);
  if (tlsDir === undefined) return null;
  const tls = existsSync(join(tlsDir, 'client.pem')) && (await tcpOpen('127.0.0.1', Number(new URL(tlsUrl).port)));
  return { tlsUrl: tls ? tlsUrl : null, tlsDir: tls ? tlsDir : null, nodeName };
}

/** Asks a running node where its CA file is; undefined when the node does not answer. */
function tlsDirOfNode(nodeName: string): Promise<string | undefined> {
  const expr = '{ok, Opts} = application:get_env(rabbit, ssl_options), proplists:get_value(cacertfile, Opts).';
  return new Promise((done) => {
    execFile(rabbitmqctlPath(), ['-n', nodeName, '-q', 'eval', expr], { timeout: 15_000 }, (error, stdout) => {
      const path = /^"(.*)"\s*$/.exec(stdout.trim())?.[1];
      done(error === null && path !== undefined ? dirname(path) : undefined);
    });
  });
}

/** True when `rabbitmq-server` is installed on this machine. */
export function rabbitmqServerInstalled(): boolean {
  const dirs = ['/usr/lib/rabbitmq/bin', ...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin'];
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, 'rabbitmq-server')));
}

/** The rabbitmqctl to run as the current user (Debian's /usr/sbin wrapper switches to the rabbitmq user). */
export function rabbitmqctlPath(): string {
  const fromEnv = process.env['RABBITMQCTL'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return existsSync('/usr/lib/rabbitmq/bin/rabbitmqctl') ? '/usr/lib/rabbitmq/bin/rabbitmqctl' : 'rabbitmqctl';
}

/** True when a Docker engine answers `GET /_ping` on DOCKER_HOST or the default socket. */
export function dockerAnswers(timeoutMs = 2000): Promise<boolean> {
  const host = process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
  let target: { socketPath: string } | { host: string; port: number };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!existsSync(socketPath)) return Promise.resolve(false);
    target = { socketPath };
  } else if (host.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else {
    return Promise.resolve(false);
  }
  return new Promise((done) => {
    const req = request({ ...target, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}
