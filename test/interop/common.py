"""What the interop scripts share: the broker from AMQP_URL, JSON-line output, and the tagged
JSON form in which Python values cross to the TypeScript tests without losing their type.

Tagged values: {"type": "none"}, {"type": "bool", "value": true}, {"type": "int", "value": "7"}
(decimal text, so values beyond 2^53 survive), {"type": "long", "value": "7"} (pika's marker
class: encoded as `l`, and what pika decodes `l` to), {"type": "str", "value": "..."},
{"type": "bytes", "hex": "00ff"}, {"type": "decimal", "value": "123.45"},
{"type": "datetime", "epoch": 1700000000}, {"type": "float", "value": "1.5"},
{"type": "dict", "value": {...}}, {"type": "list", "value": [...]}.
"""
import calendar
import datetime
import decimal
import json
import os
import sys
from urllib.parse import unquote, urlparse

import pika
from pika.compat import long

# The fence: a message sent to each queue straight through the default exchange after every
# confirmed publish. It is the last thing in the queue, so a consumer that stops on it has seen
# everything routed there and nothing is left to arrive later.
FENCE_TYPE = 'amqpwire.interop.fence'

PROPERTY_NAMES = (
    'content_type', 'content_encoding', 'headers', 'delivery_mode', 'priority', 'correlation_id',
    'reply_to', 'expiration', 'message_id', 'timestamp', 'type', 'user_id', 'app_id', 'cluster_id',
)


def spec():
    """The script's parameters: one JSON object in argv[1]."""
    if len(sys.argv) != 2:
        sys.stderr.write('usage: %s JSON-SPEC\n' % sys.argv[0])
        sys.exit(2)
    return json.loads(sys.argv[1])


def connect():
    """A BlockingConnection to AMQP_URL, built the way the seed builds one."""
    url = urlparse(os.environ['AMQP_URL'])
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            host=url.hostname,
            port=url.port or 5672,
            virtual_host=unquote(url.path[1:]) or '/',
            credentials=pika.credentials.PlainCredentials(
                username=unquote(url.username or 'guest'),
                password=unquote(url.password or 'guest'),
            ),
        ))


def emit(event, **fields):
    """One JSON line on stdout, flushed at once: the tests read these as they come."""
    fields['event'] = event
    sys.stdout.write(json.dumps(fields, ensure_ascii=False) + '\n')
    sys.stdout.flush()


def describe(value):
    """A Python value as tagged JSON (see the module docstring)."""
    if value is None:
        return {'type': 'none'}
    if isinstance(value, bool):
        return {'type': 'bool', 'value': value}
    if isinstance(value, long):
        return {'type': 'long', 'value': str(int(value))}
    if isinstance(value, int):
        return {'type': 'int', 'value': str(value)}
    if isinstance(value, float):
        return {'type': 'float', 'value': repr(value)}
    if isinstance(value, str):
        return {'type': 'str', 'value': value}
    if isinstance(value, (bytes, bytearray)):
        return {'type': 'bytes', 'hex': bytes(value).hex()}
    if isinstance(value, decimal.Decimal):
        return {'type': 'decimal', 'value': str(value)}
    if isinstance(value, datetime.datetime):
        return {'type': 'datetime', 'epoch': calendar.timegm(value.utctimetuple())}
    if isinstance(value, dict):
        return {'type': 'dict', 'value': {k: describe(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {'type': 'list', 'value': [describe(v) for v in value]}
    raise TypeError('no tagged form for %r' % (value,))


def build(tagged):
    """The Python value a tagged JSON object names (the inverse of describe)."""
    kind = tagged['type']
    if kind == 'none':
        return None
    if kind == 'bool':
        return bool(tagged['value'])
    if kind == 'int':
        return int(tagged['value'])
    if kind == 'long':
        return long(int(tagged['value']))
    if kind == 'str':
        return tagged['value']
    if kind == 'bytes':
        return bytes.fromhex(tagged['hex'])
    if kind == 'decimal':
        return decimal.Decimal(tagged['value'])
    if kind == 'datetime':
        return datetime.datetime.utcfromtimestamp(tagged['epoch'])
    if kind == 'dict':
        return {k: build(v) for k, v in tagged['value'].items()}
    if kind == 'list':
        return [build(v) for v in tagged['value']]
    raise ValueError('unknown tagged type %r' % (kind,))


def build_properties(plain):
    """pika.BasicProperties from a JSON object of snake_case names; headers come tagged."""
    if plain is None:
        return None
    values = dict(plain)
    if 'headers' in values:
        values['headers'] = build(values['headers'])
    return pika.BasicProperties(**values)


def describe_properties(props):
    """The properties pika decoded, present ones only; headers tagged."""
    out = {}
    for name in PROPERTY_NAMES:
        value = getattr(props, name)
        if value is None:
            continue
        out[name] = describe(value) if name == 'headers' else value
    return out


def is_fence(props):
    return props.type == FENCE_TYPE
