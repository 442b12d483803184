/**
 * rabbitmq-client under the client benchmarks (bench/client), used as its documentation shows:
 * `Channel#basicPublish` returns a promise that settles once its writer took the frames (or, in
 * confirm mode, once the broker acked); RPC through `createConsumer` (the handler's `reply`) and
 * `createRPCClient`.
 *
 * Fire-and-forget publishes wait on that promise every BATCH publishes, one batch behind: at most
 * two batches are ever queued, and the socket never runs dry while we wait.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import rabbitmq from 'rabbitmq-client';

const { Connection } = rabbitmq;
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/rabbitmq-client/package.json', import.meta.url), 'utf8')).version;
const BATCH = 1000;

class RabbitmqClientAdapter {
  name = 'rabbitmq-client';
  version = VERSION;
  conn = null;
  ch = null;
  envelopes = new Map();
  published = 0;
  previousBatch = undefined;
  rpc = null;
  server = null;
  /** Channels from acquire(): the connection's close waits until they are closed. */
  channels = [];

  async connect(url, o) {
    this.conn = new Connection({ url, noDelay: o.noDelay, connectionName: 'bench' });
    this.conn.on('error', () => undefined);
    await this.conn.onConnect(5000);
  }

  envelope(queue) {
    let e = this.envelopes.get(queue);
    if (e === undefined) this.envelopes.set(queue, (e = { routingKey: queue }));
    return e;
  }

  async openPublisher(confirm) {
    this.ch = await this.conn.acquire();
    this.channels.push(this.ch);
    if (confirm) await this.ch.confirmSelect();
  }

  publish(queue, body) {
    const written = this.ch.basicPublish(this.envelope(queue), body);
    if (++this.published % BATCH !== 0) return undefined;
    const wait = this.previousBatch;
    this.previousBatch = written;
    return wait;
  }

  publishConfirmed(queue, body, ok, fail) {
    this.ch.basicPublish(this.envelope(queue), body).then(ok, fail);
    return undefined;
  }

  async sync(queue) {
    await this.previousBatch;
    return (await this.ch.queueDeclare({ queue, passive: true })).messageCount;
  }

  async consume(queue, o) {
    const ch = await this.conn.acquire();
    this.channels.push(ch);
    await ch.basicQos({ prefetchCount: o.prefetch });
    const multiple = o.ackEvery > 1;
    let n = 0;
    let limit = o.count;
    return new Promise((resolve, reject) => {
      ch.basicConsume({ queue, noAck: o.noAck }, (msg) => {
        if (++n > limit) return;
        if (n % 100 === 0 && performance.now() >= o.deadline) limit = n;
        if (!o.noAck && (n % o.ackEvery === 0 || n === limit)) ch.basicAck({ deliveryTag: msg.deliveryTag, multiple });
        if (n === limit) resolve(n);
      }).catch(reject);
    });
  }

  async rpcSetup(queue) {
    this.server = this.conn.createConsumer({
      queue, queueOptions: { durable: false }, qos: { prefetchCount: 1 },
    }, async (req, reply) => {
      await reply(req.body);
    });
    await once(this.server, 'ready');
    this.rpc = this.conn.createRPCClient();
  }

  rpcCall(queue, body) {
    return this.rpc.send(queue, body);
  }

  async close() {
    await this.rpc?.close();
    await this.server?.close();
    for (const ch of this.channels) await ch.close();
    await this.conn.close();
  }
}

export function createAdapter() {
  return new RabbitmqClientAdapter();
}
