/**
 * emit_log_direct.py: publish to the direct exchange 'direct_logs' with a severity as routing key.
 * `emit_log_direct.js [severity] [message...]`: as in the seed, the first argument is the severity
 * only when a message follows it; otherwise severity is 'info'.
 */
import { openConnection, reprText } from './common.js';

const connection = await openConnection();
const channel = await connection.channel();

await channel.exchangeDeclare('direct_logs', 'direct');

const args = process.argv.slice(2);
const severity = args.length > 1 ? args[0]! : 'info';
const message = args.slice(1).join(' ') || 'Hello World!';
channel.basicPublish('direct_logs', severity, message);
console.log(` [x] Sent ${reprText(severity)}:${reprText(message)}`);
await connection.close();
