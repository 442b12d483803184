/**
 * rpc_server.py: answer fib(n) requests from 'rpc_queue', one at a time (prefetch 1). Each reply
 * goes to the request's reply_to with its correlation_id; the request is acked after the reply.
 * `conn.rpcServer()` wraps this same pattern (with error replies); this is the seed's by hand.
 */
import { consumerArgs, openConnection, untilStopped } from './common.js';

const { count } = consumerArgs();
const connection = await openConnection();
const channel = await connection.channel();

await channel.queueDeclare('rpc_queue');

/** The seed's fib, recursive as written there. */
function fib(n: number): number {
  if (n === 0) return 0;
  if (n === 1) return 1;
  return fib(n - 1) + fib(n - 2);
}

const stop = untilStopped(count);

await channel.basicQos(1);
await channel.basicConsume('rpc_queue', (msg) => {
  const n = Number.parseInt(msg.body.toString('utf8'), 10);
  const { replyTo, correlationId } = msg.properties;

  console.log(` [.] fib(${n})`);
  const response = fib(n);

  if (replyTo !== undefined) {
    channel.basicPublish('', replyTo, String(response), correlationId === undefined ? {} : { correlationId });
  }
  channel.basicAck(msg.fields.deliveryTag);
  stop.seen();
});

console.log(' [x] Awaiting RPC requests');
await stop.done;
await connection.close();
