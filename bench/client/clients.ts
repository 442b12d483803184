/**
 * The clients the benchmarks compare, and where each one's adapter lives. Peer adapters sit in
 * `bench/peers/`, next to the `node_modules` their clients are installed into; `src/` never
 * imports them.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientAdapter } from './adapter.js';

/** One client under test. */
export interface ClientInfo {
  /** Name in tables and JSON (the npm package name). */
  readonly id: string;
  /** Module whose `createAdapter()` returns the client's {@link ClientAdapter}. */
  readonly module: URL;
  /** Set for peers: the package that must be installed in bench/peers. */
  readonly peerPackage?: string;
}

/** `build/bench/client/` -> the source tree's `bench/peers/`. */
const PEERS = new URL('../../../bench/peers/', import.meta.url);

/** Every client, amqp-wire first. */
export const CLIENTS: readonly ClientInfo[] = [
  { id: 'amqp-wire', module: new URL('./adapters/amqp-wire.js', import.meta.url) },
  { id: 'amqplib', module: new URL('amqplib-client.mjs', PEERS), peerPackage: 'amqplib' },
  { id: '@cloudamqp/amqp-client', module: new URL('cloudamqp-client.mjs', PEERS), peerPackage: '@cloudamqp/amqp-client' },
  { id: 'rabbitmq-client', module: new URL('rabbitmq-client.mjs', PEERS), peerPackage: 'rabbitmq-client' },
];

/** A client by id. */
export function clientById(id: string): ClientInfo | undefined {
  return CLIENTS.find((c) => c.id === id);
}

/** Peers whose package is not installed in bench/peers (the bench says how to install them). */
export function missingPeers(): string[] {
  return CLIENTS.filter((c) => c.peerPackage !== undefined && !existsSync(fileURLToPath(new URL(`node_modules/${c.peerPackage}/package.json`, PEERS))))
    .map((c) => c.peerPackage!);
}

/** Load a client's adapter. */
export async function loadAdapter(c: ClientInfo): Promise<ClientAdapter> {
  const mod = (await import(c.module.href)) as { createAdapter(): ClientAdapter };
  return mod.createAdapter();
}
