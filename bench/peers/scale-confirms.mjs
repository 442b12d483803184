/**
 * The scale benchmark's confirmed-publish series for a peer client: `node scale-confirms.mjs
 * <client> <n> <url> <queue>` fires n confirmed publishes at once on one channel and awaits them
 * all (what `Promise.all` over amqp-wire's publishConfirmed does), then prints
 * `{ seconds, bytesPerObject }`. Run with --expose-gc, in a process of its own.
 */
import { performance } from 'node:perf_hooks';
import amqplib from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { Connection } from 'rabbitmq-client';

const BODY = Buffer.alloc(16, 0x61);

function heapBytes() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Per client: open a confirm channel; return publish() (a promise per message) and close(). */
const CLIENTS = {
  async amqplib(url, queue) {
    const conn = await amqplib.connect(url);
    const ch = await conn.createConfirmChannel();
    return {
      publish: () => new Promise((resolve, reject) => ch.sendToQueue(queue, BODY, {}, (err) => (err ? reject(err) : resolve()))),
      close: () => conn.close(),
    };
  },
  async 'amqp-client'(url, queue) {
    const client = new AMQPClient(url);
    await client.connect();
    const ch = await client.channel();
    await ch.confirmSelect();
    return { publish: () => ch.basicPublish('', queue, BODY), close: () => client.close() };
  },
  async 'rabbitmq-client'(url, queue) {
    const conn = new Connection({ url, connectionName: 'bench-scale' });
    conn.on('error', () => undefined);
    await conn.onConnect(5000);
    const ch = await conn.acquire();
    await ch.confirmSelect();
    const envelope = { routingKey: queue };
    return {
      publish: () => ch.basicPublish(envelope, BODY),
      close: async () => { await ch.close(); await conn.close(); },
    };
  },
};

const [client, count, url, queue] = process.argv.slice(2);
const open = CLIENTS[client];
if (!open || !count || !url || !queue) {
  process.stderr.write('usage: node scale-confirms.mjs <amqplib|amqp-client|rabbitmq-client> <n> <url> <queue>\n');
  process.exit(2);
}
const n = Number(count);
const c = await open(url, queue);
await Promise.all(Array.from({ length: 2000 }, () => c.publish()));
const before = heapBytes();
const t0 = performance.now();
const all = new Array(n);
for (let i = 0; i < n; i++) all[i] = c.publish();
const during = heapBytes();
await Promise.all(all);
const seconds = (performance.now() - t0) / 1000;
await c.close();
process.stdout.write(`${JSON.stringify({ seconds, bytesPerObject: (during - before) / n })}\n`);
