/**
 * queue.bind / queue.unbind / exchange.bind / exchange.unbind against a real RabbitMQ, judged by
 * where published messages end up. A basic.get after a publish on the same channel sees the
 * publish: RabbitMQ handles one channel's commands in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { expectChannelError } from '../support/expect-errors.js';
import { exchangeName } from '../support/names.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

/** Bodies of every message waiting in `queue`, taken with noAck. */
async function drain(ch: Channel, queue: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let msg = await ch.basicGet(queue, { noAck: true }); msg !== null; msg = await ch.basicGet(queue, { noAck: true })) {
    bodies.push(msg.text());
  }
  return bodies;
}

/** Declares exchanges for one test (see {@link withExchanges}). */
interface Exchanges {
  /** Declares a non-auto-delete exchange of `type` with a fresh name built from `label`; returns the name. */
  declare(type: string, label: string): Promise<string>;
}

/**
 * Runs `body` with a channel on a fresh connection; every exchange it declared through `xs` is
 * deleted afterwards (on a channel of its own: the test may have cost `ch` its life).
 */
async function withExchanges(body: (ch: Channel, xs: Exchanges) => Promise<void>): Promise<void> {
  const { conn, ch } = await open();
  const made: string[] = [];
  const xs: Exchanges = {
    async declare(type, label) {
      const x = exchangeName(label);
      await ch.exchangeDeclare(x, type, { autoDelete: false });
      made.push(x);
      return x;
    },
  };
  try {
    await body(ch, xs);
  } finally {
    const c = await conn.channel();
    for (const x of made) await c.exchangeDelete(x);
  }
}

describe('queue.bind / queue.unbind', () => {
  it('direct: a binding routes its key, unbinding stops it', () => withExchanges(async (ch, xs) => {
    const x = await xs.declare('direct', 'direct');
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.queueBind(queue, x, 'red');
    ch.basicPublish(x, 'red', 'r1');
    ch.basicPublish(x, 'blue', 'b1');
    expect(await drain(ch, queue)).toEqual(['r1']);

    await ch.queueBind(queue, x, 'blue');
    ch.basicPublish(x, 'blue', 'b2');
    await ch.queueUnbind(queue, x, 'red');
    ch.basicPublish(x, 'red', 'r2');
    ch.basicPublish(x, 'blue', 'b3');
    expect(await drain(ch, queue)).toEqual(['b2', 'b3']);
  }));

  it('topic: * matches one word, # matches zero or more', () => withExchanges(async (ch, xs) => {
    const x = await xs.declare('topic', 'topic');
    const star = (await ch.queueDeclare('', { exclusive: true })).queue;
    const hash = (await ch.queueDeclare('', { exclusive: true })).queue;
    await ch.queueBind(star, x, '*.error');
    await ch.queueBind(hash, x, 'kern.#');
    for (const key of ['kern.error', 'app.error', 'kern', 'kern.disk.full', 'app.disk.error']) ch.basicPublish(x, key, key);
    expect(await drain(ch, star)).toEqual(['kern.error', 'app.error']);
    expect(await drain(ch, hash)).toEqual(['kern.error', 'kern', 'kern.disk.full']);
  }));

  it('fanout ignores the routing key and copies to every bound queue', () => withExchanges(async (ch, xs) => {
    const x = await xs.declare('fanout', 'fanout');
    const a = (await ch.queueDeclare('', { exclusive: true })).queue;
    const b = (await ch.queueDeclare('', { exclusive: true })).queue;
    await ch.queueBind(a, x, 'ignored');
    await ch.queueBind(b, x);
    ch.basicPublish(x, 'anything', 'one');
    expect(await drain(ch, a)).toEqual(['one']);
    expect(await drain(ch, b)).toEqual(['one']);
  }));

  it('headers: binding arguments (x-match all / any) reach the broker', () => withExchanges(async (ch, xs) => {
    const x = await xs.declare('headers', 'headers');
    const all = (await ch.queueDeclare('', { exclusive: true })).queue;
    const any = (await ch.queueDeclare('', { exclusive: true })).queue;
    await ch.queueBind(all, x, '', { arguments: { 'x-match': 'all', format: 'pdf', type: 'report' } });
    await ch.queueBind(any, x, '', { arguments: { 'x-match': 'any', format: 'pdf', type: 'report' } });
    ch.basicPublish(x, '', 'both', { headers: { format: 'pdf', type: 'report' } });
    ch.basicPublish(x, '', 'format-only', { headers: { format: 'pdf', type: 'log' } });
    ch.basicPublish(x, '', 'neither', { headers: { format: 'zip' } });
    expect(await drain(ch, all)).toEqual(['both']);
    expect(await drain(ch, any)).toEqual(['both', 'format-only']);

    // unbind needs the same arguments to find the binding
    await ch.queueUnbind(any, x, '', { arguments: { 'x-match': 'any', format: 'pdf', type: 'report' } });
    ch.basicPublish(x, '', 'after-unbind', { headers: { format: 'pdf' } });
    expect(await drain(ch, any)).toEqual([]);
  }));

  it('binding to a missing exchange is a 404 naming queue.bind', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const x = exchangeName('missing');
    const err = await expectChannelError(ch.queueBind(queue, x, 'k'));
    expect(err).toMatchObject({ replyCode: 404, methodName: 'queue.bind', soft: true });
    expect(err.message).toBe(`queue.bind: 404 NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  it('binding to the default exchange is refused with 403', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    const err = await expectChannelError(ch.queueBind(queue, '', 'k'));
    expect(err.replyCode).toBe(403);
    expect(err.message).toMatch(/^queue\.bind: 403 ACCESS_REFUSED - operation not permitted on the default exchange$/);
  });

  it('unbinding a binding that does not exist succeeds', async () => {
    const { ch } = await open();
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await expect(ch.queueUnbind(queue, 'amq.direct', 'never-bound')).resolves.toBeUndefined();
    expect(ch.isOpen).toBe(true);
  });
});

describe('exchange.bind / exchange.unbind', () => {
  it('routes from source to destination by the binding key, and stops after unbind', () => withExchanges(async (ch, xs) => {
    const source = await xs.declare('direct', 'e2e-source');
    const destination = await xs.declare('fanout', 'e2e-destination');
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.queueBind(queue, destination);
    await ch.exchangeBind(destination, source, 'k');
    ch.basicPublish(source, 'k', 'routed');
    ch.basicPublish(source, 'other', 'not routed');
    const msgs: string[] = [];
    for (let m = await ch.basicGet(queue, { noAck: true }); m !== null; m = await ch.basicGet(queue, { noAck: true })) {
      msgs.push(m.text());
      // the delivery names the exchange the message was published to
      expect(m.fields.exchange).toBe(source);
    }
    expect(msgs).toEqual(['routed']);

    await ch.exchangeUnbind(destination, source, 'k');
    ch.basicPublish(source, 'k', 'after unbind');
    expect(await drain(ch, queue)).toEqual([]);
  }));

  it('the argument order is destination first: binding the other way round does not route', () => withExchanges(async (ch, xs) => {
    const a = await xs.declare('fanout', 'e2e-a');
    const b = await xs.declare('fanout', 'e2e-b');
    const qa = (await ch.queueDeclare('', { exclusive: true })).queue;
    const qb = (await ch.queueDeclare('', { exclusive: true })).queue;
    await ch.queueBind(qa, a);
    await ch.queueBind(qb, b);
    await ch.exchangeBind(b, a); // a -> b
    ch.basicPublish(a, '', 'from a');
    ch.basicPublish(b, '', 'from b');
    expect(await drain(ch, qa)).toEqual(['from a']);
    expect(await drain(ch, qb)).toEqual(['from a', 'from b']);
  }));

  it('exchange.bind with a headers source passes the binding arguments', () => withExchanges(async (ch, xs) => {
    const source = await xs.declare('headers', 'e2e-headers');
    const destination = await xs.declare('fanout', 'e2e-sink');
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.queueBind(queue, destination);
    await ch.exchangeBind(destination, source, '', { arguments: { 'x-match': 'all', level: 3 } });
    ch.basicPublish(source, '', 'level 3', { headers: { level: 3 } });
    ch.basicPublish(source, '', 'level 4', { headers: { level: 4 } });
    expect(await drain(ch, queue)).toEqual(['level 3']);
    await ch.exchangeUnbind(destination, source, '', { arguments: { 'x-match': 'all', level: 3 } });
    ch.basicPublish(source, '', 'level 3 again', { headers: { level: 3 } });
    expect(await drain(ch, queue)).toEqual([]);
  }));

  it('binding from a missing source exchange is a 404 naming exchange.bind', () => withExchanges(async (ch, xs) => {
    const destination = await xs.declare('fanout', 'e2e-dest');
    const missing = exchangeName('missing');
    const err = await expectChannelError(ch.exchangeBind(destination, missing, 'k'));
    expect(err).toMatchObject({ replyCode: 404, methodName: 'exchange.bind', classId: 40, methodId: 30 });
    expect(err.message).toBe(`exchange.bind: 404 NOT_FOUND - no exchange '${missing}' in vhost '/'`);
  }));
});
