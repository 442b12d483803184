"""The seed's RPC server (fib, basic_qos(prefetch_count=1)), parameterised by a JSON spec:

  {"queue": "rpc_queue", "requests": 21}

Serves `requests` calls, printing {"event": "request", "n", "correlationId", "replyTo"} for
each, then deletes its queue and prints {"event": "done"}. {"event": "ready"} says it consumes.
"""
import pika

from common import connect, emit, spec

params = spec()
remaining = params['requests']

connection = connect()

channel = connection.channel()

channel.queue_declare(queue=params['queue'])


def fib(n):
    if n == 0:
        return 0
    elif n == 1:
        return 1
    else:
        return fib(n-1) + fib(n-2)


def on_request(ch, method, props, body):
    global remaining
    n = int(body)

    emit('request', n=n, correlationId=props.correlation_id, replyTo=props.reply_to)
    response = fib(n)

    ch.basic_publish(exchange='',
                     routing_key=props.reply_to,
                     properties=pika.BasicProperties(correlation_id = \
                                                         props.correlation_id),
                     body=str(response))
    ch.basic_ack(delivery_tag = method.delivery_tag)
    remaining -= 1
    if remaining == 0:
        ch.stop_consuming()


channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue=params['queue'], on_message_callback=on_request)

emit('ready', queue=params['queue'])
channel.start_consuming()
channel.queue_delete(queue=params['queue'])
emit('done')
connection.close()
