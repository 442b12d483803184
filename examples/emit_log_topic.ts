/**
 * emit_log_topic.py: publish to the topic exchange 'topic_logs'.
 * `emit_log_topic.js [routing.key] [message...]`: the first argument is the routing key only when
 * a message follows it; otherwise the key is 'anonymous.info' (as in the seed).
 */
import { openConnection, reprText } from './common.js';

const connection = await openConnection();
const channel = await connection.channel();

await channel.exchangeDeclare('topic_logs', 'topic');

const args = process.argv.slice(2);
const routingKey = args.length > 1 ? args[0]! : 'anonymous.info';
const message = args.slice(1).join(' ') || 'Hello World!';
channel.basicPublish('topic_logs', routingKey, message);
console.log(` [x] Sent ${reprText(routingKey)}:${reprText(message)}`);
await connection.close();
