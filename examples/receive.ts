/** receive.py: print what arrives on the queue 'hello' until Ctrl-C (or `--count N` messages). */
import { consumerArgs, openConnection, reprText, untilStopped } from './common.js';

const { count } = consumerArgs();
const connection = await openConnection();
const channel = await connection.channel();

// Declare 'hello' too: whichever of send and receive starts first creates it.
await channel.queueDeclare('hello');

const stop = untilStopped(count);
await channel.basicConsume('hello', (msg) => {
  console.log(` [x] Received ${reprText(msg.body.toString('utf8'))}`);
  stop.seen();
}, { noAck: true });

console.log(' [*] Waiting for messages. To exit press CTRL+C');
await stop.done;
await connection.close();
