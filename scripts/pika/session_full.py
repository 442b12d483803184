"""Capture session (a): one conversation touching the frames the codec must get right.

connect, channel, queue.declare, basic.publish with all 14 basic properties (and a headers
table with every field type pika 1.2 can write), basic.get + ack, a topic exchange and binding,
basic.qos, basic.consume of one delivery + ack, basic.cancel, cleanup, channel.close,
connection.close. Every value is fixed so that a re-run gives the same bytes, apart from the
broker's own (versions, server-named things).
"""
import datetime
import decimal
import sys

import pika
from pika.compat import long

from common import parameters

QUEUE = 'golden-q'
EXCHANGE = 'golden-topic'
CONSUMER_TAG = 'golden-ctag'

# Python ints that fit int32 go out as 'I', others as 'l'; pika.compat.long forces 'l'.
HEADERS = {
    'str': 'caf\u00e9',
    'int': 42,
    'neg-large': -5000000000,
    'long': long(7),
    'bool': True,
    'nested': {'k': 'v', 'n': -1},
    'list': [1, 'two', False],
    'bytes': b'\x00\xff',
    'time': datetime.datetime(2024, 1, 2, 3, 4, 5),
    'decimal': decimal.Decimal('3.14'),
    'void': None,
}

FULL_PROPERTIES = pika.BasicProperties(
    content_type='application/json',
    content_encoding='utf-8',
    headers=HEADERS,
    delivery_mode=2,
    priority=5,
    correlation_id='corr-1',
    reply_to='reply-q',
    expiration='60000',
    message_id='msg-1',
    timestamp=1700000000,
    type='golden.type',
    user_id='guest',
    app_id='golden-app',
    cluster_id='golden-cluster',
)


def publish_and_get(channel):
    """Publishes the all-properties message to the queue and fetches it back with basic.get."""
    channel.basic_publish(exchange='', routing_key=QUEUE, body=b'{"hello":"world"}',
                          properties=FULL_PROPERTIES)
    method, properties, body = channel.basic_get(queue=QUEUE, auto_ack=False)
    if method is None:
        sys.exit('basic.get found the queue empty')
    if properties.headers != HEADERS and properties.headers is not None:
        print('note: headers came back as', properties.headers)
    channel.basic_ack(delivery_tag=method.delivery_tag)
    return body


def consume_one(connection, channel):
    """Routes a message through the topic exchange and consumes it with prefetch 1."""
    channel.exchange_declare(exchange=EXCHANGE, exchange_type='topic', durable=False)
    channel.queue_bind(queue=QUEUE, exchange=EXCHANGE, routing_key='golden.*')
    channel.basic_publish(exchange=EXCHANGE, routing_key='golden.key', body=b'hi',
                          properties=pika.BasicProperties(content_type='text/plain'))
    channel.basic_qos(prefetch_count=1)
    received = []

    def on_message(ch, method, _properties, body):
        received.append(body)
        ch.basic_ack(delivery_tag=method.delivery_tag)

    channel.basic_consume(queue=QUEUE, on_message_callback=on_message, consumer_tag=CONSUMER_TAG)
    while not received:
        connection.process_data_events(time_limit=1)
    channel.basic_cancel(consumer_tag=CONSUMER_TAG)
    return received[0]


def main():
    connection = pika.BlockingConnection(parameters())
    channel = connection.channel()
    channel.queue_declare(queue=QUEUE, durable=False)
    got = publish_and_get(channel)
    delivered = consume_one(connection, channel)
    channel.queue_delete(queue=QUEUE)
    channel.exchange_delete(exchange=EXCHANGE)
    channel.close()
    connection.close()
    print('basic.get:', got, 'delivery:', delivered)


if __name__ == '__main__':
    main()
