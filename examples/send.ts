/** send.py: ten messages, 兔子0 .. 兔子9, to the queue 'hello' through the default exchange. */
import { openConnection } from './common.js';

const connection = await openConnection();
const channel = await connection.channel();

// Declare the queue 'hello' (created if it does not exist yet).
await channel.queueDeclare('hello');

// Publish straight to the queue: exchange '' (simple mode), routing key = queue name.
const msg = '兔子';
const num = 10;
for (let i = 0; i < num; i++) {
  channel.basicPublish('', 'hello', `${msg}${i}`);
}

console.log(`Sent '${msg}' * ${num}`);
await connection.close();
