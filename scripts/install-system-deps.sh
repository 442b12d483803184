#!/usr/bin/env bash
# Installs the Debian packages amqp-wire's tests, demo and interop checks need when they are
# missing: rabbitmq-server (the broker), python3-pika (the tutorial's own client, for the interop
# tests) and openssl (the throwaway TLS CA). Safe to run again; needs root or passwordless sudo.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
SUDO=()
if [[ "$(id -u)" != 0 ]]; then SUDO=(sudo -n); fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for pkg in rabbitmq-server python3-pika openssl; do
  if installed "$pkg"; then echo "$pkg: already installed"; else missing+=("$pkg"); fi
done
((${#missing[@]} > 0)) || exit 0

echo "installing: ${missing[*]}"
# Keep the package's own system-wide node from starting on 5672: the project starts its own
# (scripts/broker.sh), with a TLS listener and the settings the tests need.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
  trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
