/**
 * amqplib under the client benchmarks (bench/client), used as its documentation shows:
 * `sendToQueue` returns false when its buffer is full and the channel emits 'drain'; a
 * ConfirmChannel takes a callback per publish; consumers ack with `ack(msg, allUpTo)`. amqplib
 * has no RPC helper, so RPC follows RabbitMQ's direct reply-to tutorial.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import amqplib from 'amqplib';

const VERSION = JSON.parse(readFileSync(new URL('./node_modules/amqplib/package.json', import.meta.url), 'utf8')).version;
const REPLY_TO = 'amq.rabbitmq.reply-to';
const NO_OPTIONS = {};

class AmqplibAdapter {
  name = 'amqplib';
  version = VERSION;
  conn = null;
  ch = null;
  confirmCallback = null;
  confirmOk = null;
  rpcChannel = null;
  pending = new Map();
  nextId = 0;

  async connect(url, o) {
    this.conn = await amqplib.connect(url, o.noDelay ? { noDelay: true } : {});
  }

  async openPublisher(confirm) {
    this.ch = confirm ? await this.conn.createConfirmChannel() : await this.conn.createChannel();
  }

  publish(queue, body) {
    return this.ch.sendToQueue(queue, body) ? undefined : once(this.ch, 'drain');
  }

  publishConfirmed(queue, body, ok, fail) {
    // The driver passes the same two functions for a whole run: one callback serves every publish.
    if (this.confirmOk !== ok) {
      this.confirmOk = ok;
      this.confirmCallback = (err) => (err ? fail(err) : ok());
    }
    return this.ch.sendToQueue(queue, body, NO_OPTIONS, this.confirmCallback) ? undefined : once(this.ch, 'drain');
  }

  async sync(queue) {
    return (await this.ch.checkQueue(queue)).messageCount;
  }

  async consume(queue, o) {
    const ch = await this.conn.createChannel();
    await ch.prefetch(o.prefetch);
    const multiple = o.ackEvery > 1;
    let n = 0;
    let limit = o.count;
    return new Promise((resolve, reject) => {
      ch.once('close', () => reject(new Error('channel closed')));
      ch.consume(queue, (msg) => {
        if (msg === null || ++n > limit) return;
        if (n % 100 === 0 && performance.now() >= o.deadline) limit = n;
        if (!o.noAck && (n % o.ackEvery === 0 || n === limit)) ch.ack(msg, multiple);
        if (n === limit) resolve(n);
      }, { noAck: o.noAck }).catch(reject);
    });
  }

  async rpcSetup(queue) {
    const server = await this.conn.createChannel();
    await server.assertQueue(queue, { durable: false });
    await server.prefetch(1);
    await server.consume(queue, (req) => {
      server.sendToQueue(req.properties.replyTo, req.content, { correlationId: req.properties.correlationId });
      server.ack(req);
    });
    const client = await this.conn.createChannel();
    await client.consume(REPLY_TO, (reply) => {
      const id = reply.properties.correlationId;
      const resolve = this.pending.get(id);
      if (resolve === undefined) return;
      this.pending.delete(id);
      resolve(reply);
    }, { noAck: true });
    this.rpcChannel = client;
  }

  rpcCall(queue, body) {
    const correlationId = String(++this.nextId);
    return new Promise((resolve) => {
      this.pending.set(correlationId, resolve);
      this.rpcChannel.sendToQueue(queue, body, { replyTo: REPLY_TO, correlationId });
    });
  }

  async close() {
    await this.conn.close();
  }
}

export function createAdapter() {
  return new AmqplibAdapter();
}
