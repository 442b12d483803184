"""Splits a recording from scripts/record-proxy.ts into AMQP frames, or checks fixtures against it.

    python3 split_frames.py RECORDING.hex            print every frame as a `## section` of hex
    python3 split_frames.py RECORDING.hex --check F  check that every section of fixture file F is
                                                     one whole frame (or the protocol header) of
                                                     the recording, sent in the direction(s) its
                                                     first comment line names (# C->S, # S->C)

The printed sections are raw material for the fixture files: each gets a name and a comment per
field by hand. Frame layout: type (1) channel (2) size (4) payload (size) frame-end 0xCE.
"""
import re
import sys

FRAME_TYPES = {1: 'method', 2: 'header', 3: 'body', 8: 'heartbeat'}
MARKER = re.compile(r'^#\s*(C->S|S->C)\b')


def read_hex(text):
    """Bytes of annotated hex: `#` to end of line is a comment, whitespace separates groups."""
    return bytes.fromhex(''.join(''.join(line.split('#', 1)[0].split()) for line in text.splitlines()))


def read_recording(path):
    """Concatenated bytes per direction: {'C->S': bytes, 'S->C': bytes}."""
    streams = {'C->S': [], 'S->C': []}
    current = None
    for line in open(path, encoding='utf-8'):
        marker = MARKER.match(line)
        if marker:
            current = marker.group(1)
            continue
        body = line.split('#', 1)[0]
        if body.strip():
            if current is None:
                sys.exit(f'{path}: bytes before the first direction marker')
            streams[current].append(bytes.fromhex(''.join(body.split())))
    return {k: b''.join(v) for k, v in streams.items()}


def split(stream):
    """Yields (offset, frame bytes); a leading `AMQP....` protocol header is its own item."""
    at = 0
    if stream[:4] == b'AMQP':
        yield 0, stream[:8]
        at = 8
    while at < len(stream):
        if len(stream) - at < 8:
            sys.exit(f'trailing {len(stream) - at} bytes at offset {at} do not make a frame')
        size = int.from_bytes(stream[at + 3:at + 7], 'big')
        end = at + 7 + size + 1
        if end > len(stream) or stream[end - 1] != 0xCE:
            sys.exit(f'frame at offset {at} (size {size}) is cut short or lacks frame-end')
        yield at, stream[at:end]
        at = end


def describe(frame):
    if frame[:4] == b'AMQP':
        return 'protocol header'
    kind = FRAME_TYPES.get(frame[0], f'type {frame[0]}')
    channel = int.from_bytes(frame[1:3], 'big')
    text = f'{kind} frame, channel {channel}, size {len(frame) - 8}'
    if frame[0] == 1:
        text += f', method {int.from_bytes(frame[7:9], "big")}.{int.from_bytes(frame[9:11], "big")}'
    return text


def dump(streams):
    for direction, stream in streams.items():
        for n, (offset, frame) in enumerate(split(stream), 1):
            tag = 'c2s' if direction == 'C->S' else 's2c'
            print(f'## {tag}-{n:02d}  # offset {offset}: {describe(frame)}')
            for i in range(0, len(frame), 16):
                print(frame[i:i + 16].hex(' '))
            print()


def sections(path):
    """[(name, bytes, directions)] of a fixture file, in order. `directions` are the markers
    (C->S, S->C) named in the section's first comment line."""
    out, name, lines = [], None, []
    for line in open(path, encoding='utf-8').read().splitlines() + ['## <end>']:
        if line.lstrip().startswith('##'):
            if name is not None:
                comments = [l for l in lines if l.lstrip().startswith('#')]
                first = comments[0] if comments else ''
                directions = {d for d in ('C->S', 'S->C') if d in first}
                out.append((name, read_hex('\n'.join(lines)), directions))
            name, lines = line.lstrip()[2:].strip(), []
        else:
            lines.append(line)
    return out


def check(streams, fixture):
    """Prints one line per section; returns the number of sections that fail."""
    frames = {d: [f for _, f in split(s)] for d, s in streams.items()}
    failures = 0
    for name, data, directions in sections(fixture):
        hits = {d for d, fs in frames.items() if data in fs}
        if not hits:
            failures += 1
            print(f'FAIL {name}: not one whole frame of the recording ({len(data)} bytes)')
        elif not directions <= hits:
            failures += 1
            print(f'FAIL {name}: marked {sorted(directions)} but found {sorted(hits)}')
        else:
            print(f'ok   {name}: {describe(data)} ({", ".join(sorted(hits))})')
    return failures


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != '--check'):
        sys.exit(__doc__)
    streams = read_recording(argv[1])
    if len(argv) == 2:
        dump(streams)
        return 0
    return 1 if check(streams, argv[3]) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
