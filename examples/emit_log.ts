/** emit_log.py: publish one message (the arguments, or "info: Hello World!") to the fanout exchange 'logs'. */
import { openConnection, reprText } from './common.js';

const connection = await openConnection();
const channel = await connection.channel();

await channel.exchangeDeclare('logs', 'fanout');

const message = process.argv.slice(2).join(' ') || 'info: Hello World!';
channel.basicPublish('logs', '', message);
console.log(` [x] Sent ${reprText(message)}`);
await connection.close();
