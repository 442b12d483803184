"""The seed's FibonacciRpcClient (exclusive callback queue), parameterised by a JSON spec:

  {"queue": "rpc_queue", "numbers": [0, 1, 2]}

Calls fib(n) for each number in turn and prints {"event": "reply", "n", "body",
"correlationId" (sent), "replyCorrelationId" (received), "replyTo"} per call, then
{"event": "done"}. Replies whose correlation id is not the current call's are printed as
{"event": "stray"} (the seed silently drops them).
"""
import uuid

import pika

from common import connect, emit, spec


class FibonacciRpcClient(object):
    def __init__(self, queue):
        self.queue = queue
        self.connection = connect()

        self.channel = self.connection.channel()

        result = self.channel.queue_declare(queue='', exclusive=True)
        self.callback_queue = result.method.queue

        self.channel.basic_consume(queue=self.callback_queue,
                                   on_message_callback=self.on_response,
                                   auto_ack=True)

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:
            self.response = body
            self.reply_corr_id = props.correlation_id
        else:
            emit('stray', correlationId=props.correlation_id, body=body.decode('utf-8'))

    def call(self, n):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(exchange='',
                                   routing_key=self.queue,
                                   properties=pika.BasicProperties(
                                         reply_to = self.callback_queue,
                                         correlation_id = self.corr_id,
                                         ),
                                   body=str(n))
        # The seed polls process_data_events() (time_limit 0, a busy loop); None blocks until
        # the broker sends something.
        while self.response is None:
            self.connection.process_data_events(time_limit=None)
        return self.response


params = spec()
fibonacci_rpc = FibonacciRpcClient(params['queue'])

for n in params['numbers']:
    body = fibonacci_rpc.call(n)
    emit('reply', n=n, body=body.decode('utf-8'), correlationId=fibonacci_rpc.corr_id,
         replyCorrelationId=fibonacci_rpc.reply_corr_id, replyTo=fibonacci_rpc.callback_queue)

emit('done', count=len(params['numbers']))
fibonacci_rpc.connection.close()
