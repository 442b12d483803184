/**
 * The shape of Channel's public surface: one ack API (basicAck/basicNack/basicReject), binding
 * arguments in the options object, and no acknowledgement hook reachable on a Message.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Channel, Message, type BindOptions } from '../../../src/index.js';

describe('Channel surface', () => {
  it('acknowledges through basicAck, basicNack and basicReject only', () => {
    for (const name of ['basicAck', 'basicNack', 'basicReject']) expect(typeof Reflect.get(Channel.prototype, name), name).toBe('function');
    for (const name of ['ack', 'nack', 'reject']) expect(name in Channel.prototype, name).toBe(false);
    expectTypeOf<Channel>().not.toHaveProperty('ack');
    expectTypeOf<Channel>().not.toHaveProperty('nack');
    expectTypeOf<Channel>().not.toHaveProperty('reject');
  });

  it('bind and unbind take arguments in the options object, beside timeout and signal', () => {
    expectTypeOf<Parameters<Channel['queueBind']>[3]>().toEqualTypeOf<BindOptions | undefined>();
    expectTypeOf<Parameters<Channel['queueUnbind']>[3]>().toEqualTypeOf<BindOptions | undefined>();
    expectTypeOf<Parameters<Channel['exchangeBind']>[3]>().toEqualTypeOf<BindOptions | undefined>();
    expectTypeOf<Parameters<Channel['exchangeUnbind']>[3]>().toEqualTypeOf<BindOptions | undefined>();
    expectTypeOf<BindOptions>().toHaveProperty('arguments');
    expectTypeOf<BindOptions>().toHaveProperty('signal');
  });

  it("a Message's channel is not one of its properties", () => {
    const msg = new Message(Buffer.from('x'), {}, { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q' }, null);
    expect(Object.keys(msg).sort()).toEqual(['body', 'fields', 'properties']);
    expectTypeOf<Message>().not.toHaveProperty('acker');
    expect(() => msg.ack()).toThrow(/noAck/);
  });
});
