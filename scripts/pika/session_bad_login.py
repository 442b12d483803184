"""Capture session (c): a wrong password.

pika advertises authentication_failure_close, so RabbitMQ refuses the login with
connection.close 403 ACCESS_REFUSED instead of just dropping the socket.
"""
import sys

import pika

from common import parameters


def main():
    try:
        pika.BlockingConnection(parameters(password='not-the-password'))
    except pika.exceptions.ProbableAuthenticationError as err:
        print('refused as expected:', err)
        return
    except pika.exceptions.AMQPConnectionError as err:
        print('refused as expected:', repr(err))
        return
    sys.exit('login with a wrong password succeeded')


if __name__ == '__main__':
    main()
