"""Producer in the seed's style, parameterised by a JSON spec in argv[1]:

  {"exchange": "logs", "exchangeType": "fanout",   # exchange_declare when exchangeType is set
   "queue": "hello",                                # queue_declare when set (simple mode)
   "messages": [{"routingKey": "", "body": "...", "properties": {...}}]}
   # "bodyHex": "00ff", "repeat": 3 instead of "body": raw bytes, repeated (argv stays short)

Publisher confirms are on, so every basic_publish returns once the broker has routed the
message: what the tests send after this script exits is queued behind it. Prints one
{"event": "sent"} line per message, then {"event": "done"}.
"""
from common import build_properties, connect, emit, spec

params = spec()

connection = connect()
channel = connection.channel()
channel.confirm_delivery()

if params.get('exchangeType'):
    channel.exchange_declare(exchange=params['exchange'],
                             exchange_type=params['exchangeType'])
if params.get('queue'):
    channel.queue_declare(queue=params['queue'])

for message in params['messages']:
    if 'bodyHex' in message:
        body = bytes.fromhex(message['bodyHex']) * message.get('repeat', 1)
    else:
        body = message['body'].encode('utf-8')
    channel.basic_publish(exchange=params.get('exchange', ''),
                          routing_key=message['routingKey'],
                          body=body,
                          properties=build_properties(message.get('properties')))
    emit('sent', routingKey=message['routingKey'], bodyLength=len(body))

emit('done', count=len(params['messages']))
connection.close()
