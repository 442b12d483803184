"""Consumer in the seed's style, parameterised by a JSON spec in argv[1]:

  {"exchange": "logs", "exchangeType": "fanout",   # exchange_declare when exchangeType is set
   "queue": "",                                     # "" = server-named exclusive queue (as the
                                                    #  seed's fanout/direct/topic consumers)
   "bindingKeys": ["info"]}                         # queue_bind per key when exchange is set

Prints {"event": "ready", "queue": name} once consuming, {"event": "message", ...} per delivery
(body as UTF-8 text with its length and SHA-256, every present property; headers in tagged form), and stops at the fence message
(common.FENCE_TYPE) with {"event": "done", "count": n}.
"""
import hashlib

from common import connect, describe_properties, emit, is_fence, spec

params = spec()

connection = connect()
channel = connection.channel()

if params.get('exchangeType'):
    channel.exchange_declare(exchange=params['exchange'],
                             exchange_type=params['exchangeType'])

if params.get('queue'):
    result = channel.queue_declare(queue=params['queue'])
else:
    result = channel.queue_declare(queue='', exclusive=True)
queue_name = result.method.queue

if params.get('exchange'):
    for binding_key in params.get('bindingKeys', ['']):
        channel.queue_bind(exchange=params['exchange'],
                           queue=queue_name,
                           routing_key=binding_key)

received = 0


def callback(ch, method, properties, body):
    global received
    if is_fence(properties):
        emit('done', count=received)
        ch.stop_consuming()
        return
    received += 1
    emit('message',
         exchange=method.exchange,
         routingKey=method.routing_key,
         redelivered=method.redelivered,
         body=body.decode('utf-8', errors='replace'),
         bodyLength=len(body),
         bodySha256=hashlib.sha256(body).hexdigest(),
         properties=describe_properties(properties))


# pika 1.x spelling of the seed's basic_consume(callback, queue=..., no_ack=True).
channel.basic_consume(queue=queue_name,
                      on_message_callback=callback,
                      auto_ack=True)

emit('ready', queue=queue_name)
channel.start_consuming()
connection.close()
