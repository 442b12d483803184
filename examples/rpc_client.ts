/**
 * rpc_client.py: ask 'rpc_queue' for fib(30) and print the answer. Like the seed, it declares an
 * exclusive callback queue and matches the reply by correlation id. (`conn.rpcClient()` does this
 * with direct reply-to, timeouts and many calls in flight.)
 */
import { randomUUID } from 'node:crypto';
import type { Channel, Connection, Message } from '../src/index.js';
import { openConnection } from './common.js';

class FibonacciRpcClient {
  private corrId: string | null = null;
  private onAnswer: ((body: string) => void) | null = null;

  private constructor(readonly connection: Connection, private readonly channel: Channel, private readonly callbackQueue: string) {}

  static async create(): Promise<FibonacciRpcClient> {
    const connection = await openConnection();
    const channel = await connection.channel();
    const { queue } = await channel.queueDeclare('', { exclusive: true });
    const client = new FibonacciRpcClient(connection, channel, queue);
    await channel.basicConsume(queue, (msg) => client.onResponse(msg), { noAck: true });
    return client;
  }

  private onResponse(msg: Message): void {
    if (this.corrId === msg.properties.correlationId) this.onAnswer?.(msg.body.toString('utf8'));
  }

  async call(n: number): Promise<number> {
    this.corrId = randomUUID();
    const response = new Promise<string>((resolve) => (this.onAnswer = resolve));
    this.channel.basicPublish('', 'rpc_queue', String(n), { replyTo: this.callbackQueue, correlationId: this.corrId });
    return Number.parseInt(await response, 10);
  }
}

const fibonacciRpc = await FibonacciRpcClient.create();

console.log(' [x] Requesting fib(30)');
const response = await fibonacciRpc.call(30);
console.log(` [.] Got ${response}`);
await fibonacciRpc.connection.close();
