/**
 * @cloudamqp/amqp-client under the client benchmarks (bench/client), used as its documentation
 * shows: `basicPublish` returns a promise that settles once the socket took the frames (or, on a
 * confirm channel, once the broker acked); RPC through `AMQPSession#rpcServer` / `#rpcClient`.
 *
 * Fire-and-forget publishes wait on that promise every BATCH publishes, one batch behind: at most
 * two batches are ever queued in the socket, and the socket never runs dry while we wait.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AMQPClient, AMQPSession } from '@cloudamqp/amqp-client';

const VERSION = JSON.parse(readFileSync(new URL('./node_modules/@cloudamqp/amqp-client/package.json', import.meta.url), 'utf8')).version;
const BATCH = 1000;

class CloudamqpAdapter {
  name = '@cloudamqp/amqp-client';
  version = VERSION;
  client = null;
  session = null;
  ch = null;
  published = 0;
  previousBatch = undefined;
  rpc = null;

  async connect(url, o) {
    if (o.kind === 'rpc') {
      this.session = await AMQPSession.connect(url);
      // The session keeps its transport private; the socket is reachable all the same.
      if (o.noDelay) this.session.client.socket.setNoDelay(true);
      return;
    }
    this.client = new AMQPClient(url);
    await this.client.connect();
    if (o.noDelay) this.client.socket.setNoDelay(true);
  }

  async openPublisher(confirm) {
    this.ch = await this.client.channel();
    if (confirm) await this.ch.confirmSelect();
  }

  publish(queue, body) {
    const written = this.ch.basicPublish('', queue, body);
    if (++this.published % BATCH !== 0) return undefined;
    const wait = this.previousBatch;
    this.previousBatch = written;
    return wait;
  }

  publishConfirmed(queue, body, ok, fail) {
    this.ch.basicPublish('', queue, body).then(ok, fail);
    return undefined;
  }

  async sync(queue) {
    await this.previousBatch;
    return (await this.ch.queueDeclare(queue, { passive: true })).messageCount;
  }

  async consume(queue, o) {
    const ch = await this.client.channel();
    await ch.basicQos(o.prefetch);
    const multiple = o.ackEvery > 1;
    let n = 0;
    let limit = o.count;
    return new Promise((resolve, reject) => {
      ch.basicConsume(queue, { noAck: o.noAck }, (msg) => {
        if (++n > limit) return;
        if (n % 100 === 0 && performance.now() >= o.deadline) limit = n;
        if (!o.noAck && (n % o.ackEvery === 0 || n === limit)) ch.basicAck(msg.deliveryTag, multiple).catch(reject);
        if (n === limit) resolve(n);
      }).catch(reject);
    });
  }

  async rpcSetup(queue) {
    await this.session.rpcServer(queue, (req) => req.body);
    this.rpc = await this.session.rpcClient();
  }

  rpcCall(queue, body) {
    return this.rpc.call(queue, body);
  }

  async close() {
    if (this.session) await this.session.stop();
    if (this.client) await this.client.close();
  }
}

export function createAdapter() {
  return new CloudamqpAdapter();
}
