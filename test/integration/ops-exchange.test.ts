/**
 * exchange.declare / exchange.delete against a real RabbitMQ: flags and arguments must reach the
 * broker (checked through its behaviour and through rabbitmqctl), and a refused declare must close
 * only its channel, with an error that names the method and carries the broker's reply.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelClosedError } from '../../src/index.js';
import { trackConnections } from '../support/connections.js';
import { expectChannelError } from '../support/expect-errors.js';
import { exchangeName, queueName } from '../support/names.js';
import { rabbitmqctl } from '../support/rabbitmqctl.js';

const connections = trackConnections();
afterEach(() => connections.closeAll());
const open = connections.openChannel;

interface ExchangeRow {
  name: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: unknown[];
}
async function exchangeRow(name: string): Promise<ExchangeRow | undefined> {
  const out = await rabbitmqctl(['list_exchanges', 'name', 'type', 'durable', 'auto_delete', 'internal', 'arguments', '--formatter', 'json']);
  return (JSON.parse(out) as ExchangeRow[]).find((row) => row.name === name);
}

describe('exchange.declare', () => {
  it('declares an exchange that a passive declare then finds', async () => {
    const { ch } = await open();
    const x = exchangeName('declare');
    try {
      await ch.exchangeDeclare(x, 'direct');
      await expect(ch.exchangeDeclare(x, 'direct', { passive: true })).resolves.toBeUndefined();
      // passive ignores the type: it only checks existence
      await expect(ch.exchangeDeclare(x, 'fanout', { passive: true })).resolves.toBeUndefined();
      expect(await exchangeRow(x)).toMatchObject({ name: x, type: 'direct', durable: false, auto_delete: false, internal: false });
    } finally {
      await ch.exchangeDelete(x);
    }
  });

  it('passive declare of a missing exchange closes only that channel with a 404 ChannelClosedError', async () => {
    const { conn, ch } = await open();
    const other = await conn.channel();
    const x = exchangeName('missing');
    const closed = new Promise<unknown>((resolve) => ch.once('close', resolve));
    const errorEvents: unknown[] = [];
    ch.on('error', (e) => errorEvents.push(e));

    const err = await expectChannelError(ch.exchangeDeclare(x, 'direct', { passive: true }));

    expect(err.replyCode).toBe(404);
    expect(err.methodName).toBe('exchange.declare');
    expect(err.classId).toBe(40);
    expect(err.methodId).toBe(10);
    expect(err.soft).toBe(true);
    expect(err.by).toBe('server');
    expect(err.replyText).toBe(`NOT_FOUND - no exchange '${x}' in vhost '/'`);
    expect(err.message).toBe(`exchange.declare: 404 NOT_FOUND - no exchange '${x}' in vhost '/'`);
    expect(await closed).toBe(err);
    expect(errorEvents).toEqual([err]);
    expect(ch.isOpen).toBe(false);
    // the dead channel refuses further work with the same error, without a round trip
    await expect(ch.exchangeDeclare('amq.direct', 'direct', { passive: true })).rejects.toBe(err);
    expect(() => ch.basicPublish('', 'x', 'y')).toThrow(err);
    // the connection and its other channels carry on
    await expect(other.exchangeDeclare('amq.direct', 'direct', { passive: true })).resolves.toBeUndefined();
    const fresh = await conn.channel();
    await expect(fresh.queueDeclare('', { exclusive: true })).resolves.toMatchObject({ messageCount: 0 });
  });

  it('sends durable, autoDelete, internal and arguments to the broker', async () => {
    const { ch } = await open();
    const x = exchangeName('flags');
    const ae = exchangeName('ae');
    try {
      await ch.exchangeDeclare(ae, 'fanout');
      await ch.exchangeDeclare(x, 'topic', { durable: true, autoDelete: true, internal: true, arguments: { 'alternate-exchange': ae } });
      const row = await exchangeRow(x);
      expect(row).toMatchObject({ type: 'topic', durable: true, auto_delete: true, internal: true });
      expect(JSON.stringify(row?.arguments)).toContain(ae);
    } finally {
      await ch.exchangeDelete(x);
      await ch.exchangeDelete(ae);
    }
  });

  it('redeclaring with a different type or durability is refused with 406 PRECONDITION_FAILED', async () => {
    const { conn, ch } = await open();
    const x = exchangeName('redeclare');
    try {
      await ch.exchangeDeclare(x, 'direct');
      const typeErr = await expectChannelError(ch.exchangeDeclare(x, 'fanout'));
      expect(typeErr.replyCode).toBe(406);
      expect(typeErr.methodName).toBe('exchange.declare');
      expect(typeErr.message).toMatch(/^exchange\.declare: 406 PRECONDITION_FAILED - inequivalent arg 'type'/);

      const ch2 = await conn.channel();
      const durableErr = await expectChannelError(ch2.exchangeDeclare(x, 'direct', { durable: true }));
      expect(durableErr.replyCode).toBe(406);
      expect(durableErr.replyText).toMatch(/inequivalent arg 'durable'/);
      // the same declaration again is fine
      const ch3 = await conn.channel();
      await expect(ch3.exchangeDeclare(x, 'direct')).resolves.toBeUndefined();
    } finally {
      const cleanup = await conn.channel();
      await cleanup.exchangeDelete(x);
    }
  });

  it('an alternate-exchange argument takes the messages the exchange cannot route', async () => {
    const { ch } = await open();
    const x = exchangeName('with-ae');
    const ae = exchangeName('ae');
    const q = queueName('ae');
    try {
      await ch.exchangeDeclare(ae, 'fanout');
      await ch.exchangeDeclare(x, 'direct', { arguments: { 'alternate-exchange': ae } });
      await ch.queueDeclare(q, { exclusive: true });
      await ch.queueBind(q, ae);
      ch.basicPublish(x, 'no-binding-for-this', 'to the alternate');
      const msg = await ch.basicGet(q, { noAck: true });
      expect(msg?.text()).toBe('to the alternate');
      expect(msg?.fields.exchange).toBe(x);
      expect(msg?.fields.routingKey).toBe('no-binding-for-this');
    } finally {
      await ch.exchangeDelete(x);
      await ch.exchangeDelete(ae);
    }
  });

  it('an internal exchange refuses direct publishes (403) but routes what another exchange sends it', async () => {
    const { conn, ch } = await open();
    const front = exchangeName('front');
    const inner = exchangeName('internal');
    const q = queueName('internal');
    try {
      await ch.exchangeDeclare(front, 'fanout');
      await ch.exchangeDeclare(inner, 'fanout', { internal: true });
      await ch.queueDeclare(q, { exclusive: true });
      await ch.queueBind(q, inner);
      await ch.exchangeBind(inner, front);
      ch.basicPublish(front, '', 'via front');
      expect((await ch.basicGet(q, { noAck: true }))?.text()).toBe('via front');

      const pub = await conn.channel();
      pub.on('error', () => undefined);
      const closed = new Promise<unknown>((resolve) => pub.once('close', resolve));
      pub.basicPublish(inner, '', 'direct');
      const err = (await closed) as ChannelClosedError;
      expect(err).toBeInstanceOf(ChannelClosedError);
      expect(err.replyCode).toBe(403);
      expect(err.methodName).toBe('basic.publish');
      expect(err.replyText).toMatch(/^ACCESS_REFUSED - cannot publish to internal exchange/);
    } finally {
      await ch.exchangeDelete(front);
      await ch.exchangeDelete(inner);
    }
  });

  it('an autoDelete exchange disappears when its last binding goes', async () => {
    const { conn, ch } = await open();
    const x = exchangeName('autodelete');
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.exchangeDeclare(x, 'fanout', { autoDelete: true });
    await ch.queueBind(queue, x);
    // still there while bound, even though nothing else uses it
    await ch.exchangeDeclare(x, 'fanout', { passive: true });
    await ch.queueUnbind(queue, x);
    const probe = await conn.channel();
    const err = await expectChannelError(probe.exchangeDeclare(x, 'fanout', { passive: true }));
    expect(err.replyCode).toBe(404);
  });

  it('refuses an exchange name longer than 255 bytes locally, leaving the channel usable', async () => {
    const { ch } = await open();
    await expect(ch.exchangeDeclare('x'.repeat(256), 'direct')).rejects.toThrow(/255/);
    expect(ch.isOpen).toBe(true);
    await expect(ch.exchangeDeclare('amq.topic', 'topic', { passive: true })).resolves.toBeUndefined();
  });
});

describe('exchange.delete', () => {
  it('deletes an exchange: a passive declare afterwards gets 404', async () => {
    const { conn, ch } = await open();
    const x = exchangeName('delete');
    await ch.exchangeDeclare(x, 'headers');
    await ch.exchangeDelete(x);
    const err = await expectChannelError(ch.exchangeDeclare(x, 'headers', { passive: true }));
    expect(err.replyCode).toBe(404);
    // RabbitMQ treats deleting a missing exchange as success
    const ch2 = await conn.channel();
    await expect(ch2.exchangeDelete(x)).resolves.toBeUndefined();
  });

  it('ifUnused refuses (406) while the exchange is a binding source, and deletes once unbound', async () => {
    const { conn, ch } = await open();
    const x = exchangeName('if-unused');
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.exchangeDeclare(x, 'direct');
    try {
      await ch.queueBind(queue, x, 'k');
      const err = await expectChannelError(ch.exchangeDelete(x, { ifUnused: true }));
      expect(err.replyCode).toBe(406);
      expect(err.methodName).toBe('exchange.delete');
      expect(err.message).toMatch(/^exchange\.delete: 406 PRECONDITION_FAILED - exchange '.*' in vhost '\/' in use$/);

      const ch2 = await conn.channel();
      await ch2.exchangeDeclare(x, 'direct', { passive: true }); // survived the refused delete
      await ch2.queueUnbind(queue, x, 'k');
      await ch2.exchangeDelete(x, { ifUnused: true });
      expect(await exchangeRow(x)).toBeUndefined();
    } finally {
      const cleanup = await conn.channel();
      await cleanup.exchangeDelete(x);
    }
  });

  it('deleting an exchange that is in use without ifUnused removes it and its bindings', async () => {
    const { ch } = await open();
    const x = exchangeName('force-delete');
    const { queue } = await ch.queueDeclare('', { exclusive: true });
    await ch.exchangeDeclare(x, 'fanout');
    await ch.queueBind(queue, x);
    await ch.exchangeDelete(x);
    expect(await exchangeRow(x)).toBeUndefined();
    // redeclared, it starts without the old binding
    await ch.exchangeDeclare(x, 'fanout');
    try {
      await expect(ch.publishConfirmed(x, '', 'lost', undefined, { mandatory: true })).rejects.toMatchObject({ name: 'UnroutableError' });
      expect(await ch.basicGet(queue)).toBeNull();
    } finally {
      await ch.exchangeDelete(x);
    }
  });
});
