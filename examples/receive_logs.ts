/** receive_logs.py: a private queue bound to the fanout exchange 'logs'; print every message. */
import { consumerArgs, openConnection, reprBytes, untilStopped } from './common.js';

const { count } = consumerArgs();
const connection = await openConnection();
const channel = await connection.channel();

await channel.exchangeDeclare('logs', 'fanout');

// A server-named queue, deleted when this connection closes.
const { queue: queueName } = await channel.queueDeclare('', { exclusive: true });
await channel.queueBind(queueName, 'logs');

const stop = untilStopped(count);
console.log(' [*] Waiting for logs. To exit press CTRL+C');

await channel.basicConsume(queueName, (msg) => {
  console.log(` [x] ${reprBytes(msg.body)}`);
  stop.seen();
}, { noAck: true });

await stop.done;
await connection.close();
