#!/usr/bin/env bash
# One-time set-up of a fresh Debian machine for amqp-wire: system packages, npm dependencies, and
# a local RabbitMQ on 127.0.0.1:5672 (unless AMQP_URL is set or a broker already answers there).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
bash scripts/install-system-deps.sh

step "npm dependencies"
if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

step "broker"
if [[ -n "${AMQP_URL:-}" ]]; then
  echo "AMQP_URL is set: using that broker"
elif (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  echo "a broker already listens on 127.0.0.1:5672"
else
  bash scripts/broker.sh start
fi
