/**
 * amqp-wire under the client benchmarks, used as its README shows: `basicPublish` returns false
 * over the high-water mark and `drained()` says when to go on; `publishConfirmed` resolves on the
 * broker's ack; consumers ack with `msg.ack(multiple)`; RPC through `rpcServer` / `rpcClient`.
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import { VERSION, connect, type Channel, type Connection, type RpcClient } from '../../../src/index.js';
import type { AdapterConnectOptions, AdapterConsumeOptions, ClientAdapter, Wait } from '../adapter.js';
import { BenchError } from '../workloads.js';

class AmqpWireAdapter implements ClientAdapter {
  readonly name = 'amqp-wire';
  readonly version = VERSION;
  private conn: Connection | null = null;
  private ch: Channel | null = null;
  private rpc: RpcClient | null = null;

  async connect(url: string, o: AdapterConnectOptions): Promise<void> {
    this.conn = await connect(url, { name: 'bench', maxConfirmsInFlight: o.window });
  }

  private get connection(): Connection {
    if (this.conn === null) throw new BenchError('not connected');
    return this.conn;
  }

  async openPublisher(confirm: boolean): Promise<void> {
    this.ch = await this.connection.channel();
    if (confirm) await this.ch.confirmSelect();
  }

  publish(queue: string, body: Buffer): Wait {
    const ch = this.ch!;
    return ch.basicPublish('', queue, body) ? undefined : ch.drained();
  }

  publishConfirmed(queue: string, body: Buffer, ok: () => void, fail: (err: unknown) => void): Wait {
    this.ch!.publishConfirmed('', queue, body).then(ok, fail);
    return undefined;
  }

  async sync(queue: string): Promise<number> {
    return (await this.ch!.queueDeclare(queue, { passive: true })).messageCount;
  }

  async consume(queue: string, o: AdapterConsumeOptions): Promise<number> {
    const ch = await this.connection.channel();
    await ch.basicQos(o.prefetch);
    const multiple = o.ackEvery > 1;
    let n = 0;
    let limit = o.count;
    return new Promise<number>((resolve, reject) => {
      ch.once('close', (err?: Error) => reject(err ?? new BenchError('channel closed')));
      ch.basicConsume(queue, (msg) => {
        if (++n > limit) return;
        if (n % 100 === 0 && performance.now() >= o.deadline) limit = n;
        if (!o.noAck && (n % o.ackEvery === 0 || n === limit)) msg.ack(multiple);
        if (n === limit) resolve(n);
      }, { noAck: o.noAck }).catch(reject);
    });
  }

  async rpcSetup(queue: string): Promise<void> {
    await this.connection.rpcServer(queue, (req) => req.body);
    this.rpc = await this.connection.rpcClient();
  }

  rpcCall(queue: string, body: Buffer): Promise<unknown> {
    return this.rpc!.call(queue, body);
  }

  async close(): Promise<void> {
    await this.conn?.close();
  }
}

/** The adapter the child process loads. */
export function createAdapter(): ClientAdapter {
  return new AmqpWireAdapter();
}
