/**
 * Demo steps on queues: the seed's simple mode, and a work queue with basic.qos.
 * @packageDocumentation
 */
import { reprText } from '../format.js';
import { Inbox, check, list, settleWithin, type DemoContext, type DemoStep } from './context.js';

/** send.py / receive.py: ten messages through the default exchange to one queue. */
export const simpleQueue: DemoStep = {
  title: 'simple queue',
  seed: 'send.py / receive.py',
  async run(ctx: DemoContext): Promise<void> {
    const queue = `${ctx.prefix}-hello`;
    ctx.cleanupQueue(queue);
    const receiver = await ctx.consumer.channel();
    await receiver.queueDeclare(queue);
    const inbox = new Inbox('receive', (line) => ctx.log(line), false);
    await receiver.basicConsume(queue, inbox.push, { noAck: true });
    ctx.log(`receive consuming '${queue}' (no_ack, as the seed)`);

    const sender = await ctx.producer.channel();
    await sender.queueDeclare(queue);
    const sent = Array.from({ length: 10 }, (_, i) => `兔子${i}`);
    for (const body of sent) {
      sender.basicPublish('', queue, body);
      ctx.log(`send    sent ${reprText(body)}`);
    }
    ctx.log("send    Sent '兔子' * 10");
    await inbox.waitFor(10, 5000, 100);
    check(inbox.texts().join() === sent.join(), `received ${list(inbox.texts())}, expected ${list(sent)} in order`);
    await sender.close();
    await receiver.close();
  },
};

/**
 * Work queue: two workers with prefetch 1 and manual acks share persistent tasks on a durable
 * queue; each task is done exactly once and no worker holds more than one at a time.
 */
export const workQueue: DemoStep = {
  title: 'work queue',
  seed: 'basic_qos(prefetch_count=1), manual ack, delivery_mode=2',
  async run(ctx: DemoContext): Promise<void> {
    const queue = `${ctx.prefix}-task_queue`;
    ctx.cleanupQueue(queue);
    const done: string[] = [];
    const byWorker = new Map<string, number>();
    let maxHeld = 0;
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const tasks = Array.from({ length: 6 }, (_, i) => `task ${i}${'.'.repeat((i % 3) + 1)}`);

    const workers = [];
    for (const name of ['worker A', 'worker B']) {
      const ch = await ctx.consumer.channel();
      workers.push(ch);
      await ch.queueDeclare(queue, { durable: true });
      await ch.basicQos(1);
      let held = 0;
      await ch.basicConsume(queue, async (msg) => {
        maxHeld = Math.max(maxHeld, ++held);
        ctx.log(`${name} received ${reprText(msg.text())}`);
        await new Promise((resolve) => setTimeout(resolve, 20 * (msg.text().split('.').length - 1)));
        held--;
        msg.ack();
        done.push(msg.text());
        byWorker.set(name, (byWorker.get(name) ?? 0) + 1);
        if (done.length === tasks.length) allDone();
      });
    }
    const sender = await ctx.producer.channel();
    await sender.queueDeclare(queue, { durable: true });
    await sender.confirmSelect();
    await Promise.all(tasks.map((task) => {
      ctx.log(`new_task sent ${reprText(task)} (persistent)`);
      return sender.publishConfirmed('', queue, task, { deliveryMode: 2 });
    }));
    ctx.log(`new_task the broker confirmed all ${tasks.length} tasks`);
    await settleWithin(finished, 5000);
    check(done.length === tasks.length, `${done.length} of ${tasks.length} tasks were done`);
    check([...done].sort().join() === [...tasks].sort().join(), `tasks done ${list(done)}, expected each of ${list(tasks)} once`);
    check(maxHeld === 1, `a worker held ${maxHeld} unacked tasks at once with prefetch 1`);
    check(byWorker.size === 2, `only ${[...byWorker.keys()].join()} took tasks; both workers should`);
    ctx.log(`shared: ${[...byWorker].map(([w, n]) => `${w} ${n}`).join(', ')}`);
    await sender.close();
    for (const ch of workers) await ch.close();
  },
};
