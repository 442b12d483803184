/**
 * vitest globalSetup for the integration project: finds a real RabbitMQ, in this order,
 *
 *   1. `AMQP_URL` from the environment;
 *   2. a broker already answering AMQP on 127.0.0.1:5672;
 *   3. `rabbitmq-server` installed here: the project node, started with `scripts/broker.sh start`
 *      and stopped again at teardown (only when this run started it);
 *   4. a RabbitMQ container through testcontainers when a Docker engine answers;
 *
 * and otherwise fails the run. `AMQPS_URL`, `AMQP_TLS_DIR` and `RABBITMQ_NODENAME` in the
 * environment override what was found.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  type BrokerInfo,
  BrokerUnavailableError,
  LOCAL_BROKER_URL,
  PROJECT_BROKER_DIR,
  dockerAnswers,
  probeAmqp,
  projectNodeDetails,
  rabbitmqServerInstalled,
  runBrokerScript,
} from './broker.js';

interface FoundBroker {
  info: BrokerInfo;
  teardown: () => Promise<void>;
}

const NO_BROKER =
  'No RabbitMQ for the integration tests: set AMQP_URL, or start one on 127.0.0.1:5672 ' +
  '(bash scripts/broker.sh start), or install rabbitmq-server (apt-get install rabbitmq-server), ' +
  'or make a Docker engine available for testcontainers.';

const CONTAINER_IMAGE = process.env['AMQPWIRE_RABBITMQ_IMAGE'] ?? 'rabbitmq:3.13-alpine';

/** Resolves the broker, provides it to the tests as `broker`, and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await findBroker();
  const info = withEnvOverrides(found.info);
  project.provide('broker', info);
  const tls = info.tlsUrl === null ? 'no TLS' : `TLS ${redact(info.tlsUrl)}`;
  const node = info.nodeName === null ? 'no rabbitmqctl node' : `node ${info.nodeName}`;
  console.log(`[broker] ${info.source}: ${redact(info.url)}, ${tls}, ${node}${info.managed ? ', managed' : ''}`);
  return found.teardown;
}

async function findBroker(): Promise<FoundBroker> {
  const fromEnv = process.env['AMQP_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return useEnvUrl(fromEnv);
  if (await probeAmqp('127.0.0.1', 5672)) return useListening();
  if (rabbitmqServerInstalled()) return startProjectNode();
  if (await dockerAnswers()) return startContainer();
  throw new BrokerUnavailableError(NO_BROKER);
}

async function useEnvUrl(url: string): Promise<FoundBroker> {
  const parsed = new URL(url);
  if (parsed.protocol === 'amqp:') {
    const port = parsed.port === '' ? 5672 : Number(parsed.port);
    if (!(await probeAmqp(parsed.hostname, port, 5000))) {
      throw new BrokerUnavailableError(`AMQP_URL=${redact(url)} does not answer the AMQP protocol header`);
    }
  }
  const info: BrokerInfo = { url, tlsUrl: null, tlsDir: null, nodeName: null, managed: false, source: 'env' };
  return { info, teardown: async () => {} };
}

async function useListening(): Promise<FoundBroker> {
  const project = await projectNodeDetails();
  const info: BrokerInfo = {
    url: LOCAL_BROKER_URL,
    tlsUrl: project?.tlsUrl ?? null,
    tlsDir: project?.tlsDir ?? null,
    nodeName: project?.nodeName ?? null,
    managed: false,
    source: 'listening',
  };
  if (project === null) return { info, teardown: async () => {} };
  const lease = takeLease();
  return { info, teardown: async () => rmSync(lease, { force: true }) };
}

async function startProjectNode(): Promise<FoundBroker> {
  await runBrokerScript('start');
  const lease = takeLease();
  const project = await projectNodeDetails();
  if (project === null) {
    throw new BrokerUnavailableError('scripts/broker.sh start returned but the project node is not running');
  }
  const info: BrokerInfo = { url: LOCAL_BROKER_URL, ...project, managed: true, source: 'rabbitmq-server' };
  const teardown = async (): Promise<void> => {
    rmSync(lease, { force: true });
    const others = otherLiveLeases();
    if (others.length > 0) {
      console.log(`[broker] leaving ${info.nodeName} running: still used by vitest pid ${others.join(', ')}`);
      return;
    }
    await runBrokerScript('stop');
  };
  return { info, teardown };
}

async function startContainer(): Promise<FoundBroker> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // The official image lets guest log in from outside the container.
  const container = await new GenericContainer(CONTAINER_IMAGE)
    .withExposedPorts(5672)
    .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
    .withStartupTimeout(180_000)
    .start();
  const url = `amqp://guest:guest@${container.getHost()}:${container.getMappedPort(5672)}/`;
  const info: BrokerInfo = { url, tlsUrl: null, tlsDir: null, nodeName: null, managed: true, source: 'testcontainers' };
  return {
    info,
    teardown: async () => {
      await container.stop();
    },
  };
}

function withEnvOverrides(info: BrokerInfo): BrokerInfo {
  const env = (name: string): string | null => {
    const value = process.env[name];
    return value === undefined || value === '' ? null : value;
  };
  return {
    ...info,
    tlsUrl: env('AMQPS_URL') ?? info.tlsUrl,
    tlsDir: env('AMQP_TLS_DIR') ?? info.tlsDir,
    nodeName: env('RABBITMQ_NODENAME') ?? info.nodeName,
  };
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

// A lease per vitest process using the project node, so that the run which started the node
// does not stop it under another run still using it.
const LEASE_DIR = join(PROJECT_BROKER_DIR, 'leases');

function takeLease(): string {
  mkdirSync(LEASE_DIR, { recursive: true });
  const file = join(LEASE_DIR, String(process.pid));
  writeFileSync(file, `${new Date().toISOString()}\n`);
  return file;
}

function otherLiveLeases(): number[] {
  let names: string[];
  try {
    names = readdirSync(LEASE_DIR);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (pidAlive(pid)) live.push(pid);
    else rmSync(join(LEASE_DIR, name), { force: true });
  }
  return live;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
