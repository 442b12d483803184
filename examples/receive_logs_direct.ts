/** receive_logs_direct.py: bind a private queue to 'direct_logs' once per severity given; print what arrives. */
import { consumerArgs, exitWithUsage, openConnection, reprBytes, reprText, untilStopped } from './common.js';

const { args: severities, count } = consumerArgs();
if (severities.length === 0) exitWithUsage('[info] [warning] [error]');

const connection = await openConnection();
const channel = await connection.channel();

await channel.exchangeDeclare('direct_logs', 'direct');

const { queue: queueName } = await channel.queueDeclare('', { exclusive: true });
for (const severity of severities) {
  await channel.queueBind(queueName, 'direct_logs', severity);
}

const stop = untilStopped(count);
console.log(' [*] Waiting for logs. To exit press CTRL+C');

await channel.basicConsume(queueName, (msg) => {
  console.log(` [x] ${reprText(msg.fields.routingKey)}:${reprBytes(msg.body)}`);
  stop.seen();
}, { noAck: true });

await stop.done;
await connection.close();
