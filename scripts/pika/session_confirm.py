"""Capture session (b): publisher confirms.

confirm.select, then one publish to an exclusive queue, which the broker acks with
basic.ack (delivery tag 1).
"""
import pika

from common import parameters


def main():
    connection = pika.BlockingConnection(parameters())
    channel = connection.channel()
    channel.queue_declare(queue='golden-confirm-q', exclusive=True)
    channel.confirm_delivery()
    channel.basic_publish(exchange='', routing_key='golden-confirm-q', body=b'confirm me',
                          properties=pika.BasicProperties(delivery_mode=1))
    channel.close()
    connection.close()
    print('published with confirm')


if __name__ == '__main__':
    main()
