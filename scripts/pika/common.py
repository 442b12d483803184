"""Connection settings shared by the capture sessions.

The sessions connect to the recording proxy (scripts/record-proxy.ts), not to the broker itself,
so that every byte of the conversation lands in a recording. Port from AMQP_PORT (default 5673).
"""
import os

import pika

HOST = os.environ.get('AMQP_HOST', '127.0.0.1')
PORT = int(os.environ.get('AMQP_PORT', '5673'))


def parameters(password='guest'):
    """ConnectionParameters for guest on the default vhost; pika's defaults otherwise."""
    return pika.ConnectionParameters(
        host=HOST,
        port=PORT,
        virtual_host='/',
        credentials=pika.PlainCredentials('guest', password),
    )
