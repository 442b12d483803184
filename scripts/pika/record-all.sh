#!/usr/bin/env bash
# Records the three pika capture sessions through scripts/record-proxy.ts.
#
#   scripts/pika/record-all.sh [OUT_DIR]     (default OUT_DIR: .tmp/recordings)
#
# Needs RabbitMQ on 127.0.0.1:5672 with guest/guest (scripts/broker.sh start) and Debian's
# python3-pika at /usr/bin/python3. Each session runs behind its own proxy on port 5673 and
# leaves OUT_DIR/pika-<session>-1.hex.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/.tmp/recordings}"
PORT="${RECORD_PORT:-5673}"
cd "$ROOT"

npx tsc -p tsconfig.tools.json >/dev/null || test -f build/scripts/record-proxy.js

for session in full confirm bad-login; do
  rm -f "$OUT/pika-$session-1.hex"
  node build/scripts/record-proxy.js --port "$PORT" --out "$OUT" --name "pika-$session" --max-connections 1 &
  proxy=$!
  for _ in $(seq 50); do
    ss -ltn | grep -q "127.0.0.1:$PORT " && break
    sleep 0.1
  done
  AMQP_PORT="$PORT" /usr/bin/python3 "scripts/pika/session_${session//-/_}.py"
  wait "$proxy"
done
ls -l "$OUT"/pika-*-1.hex
