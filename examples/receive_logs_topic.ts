/**
 * receive_logs_topic.py: bind a private queue to 'topic_logs' with each binding key given
 * ("#" everything, "kern.*", "*.critical"); print what arrives.
 */
import { consumerArgs, exitWithUsage, openConnection, reprBytes, reprText, untilStopped } from './common.js';

const { args: bindingKeys, count } = consumerArgs();
if (bindingKeys.length === 0) exitWithUsage('[binding_key]...');

const connection = await openConnection();
const channel = await connection.channel();

await channel.exchangeDeclare('topic_logs', 'topic');

const { queue: queueName } = await channel.queueDeclare('', { exclusive: true });
for (const bindingKey of bindingKeys) {
  await channel.queueBind(queueName, 'topic_logs', bindingKey);
}

const stop = untilStopped(count);
console.log(' [*] Waiting for logs. To exit press CTRL+C');

await channel.basicConsume(queueName, (msg) => {
  console.log(` [x] ${reprText(msg.fields.routingKey)}:${reprBytes(msg.body)}`);
  stop.seen();
}, { noAck: true });

await stop.done;
await connection.close();
