#!/usr/bin/env bash
# Runs the project's own RabbitMQ node for tests and development.
#
#   scripts/broker.sh start    start the node (idempotent) and wait until it accepts AMQP
#   scripts/broker.sh stop     stop the node (idempotent)
#   scripts/broker.sh status   print whether the node is up; exit 1 when it is not
#   scripts/broker.sh env      print shell exports: eval "$(scripts/broker.sh env)"
#
# Everything the node owns lives under .tmp/rabbitmq/ in the repository: Mnesia, logs, config,
# enabled-plugins file, pid file and a throwaway TLS CA with server and client certificates.
# AMQP listens on 127.0.0.1:5672, AMQPS on 127.0.0.1:5671 (verify_peer, client cert optional,
# EXTERNAL login from the certificate's common name).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$ROOT/.tmp/rabbitmq"
TLS_DIR="$BASE/tls"
NODE="${AMQPWIRE_NODENAME:-amqpwire@localhost}"
AMQP_PORT=5672
AMQPS_PORT=5671
DIST_PORT=25674
CLIENT_CN="amqpwire-client"
START_TIMEOUT="${AMQPWIRE_BROKER_TIMEOUT:-90}"
LOCK_TIMEOUT=$((START_TIMEOUT + 30))

SCRIPT_NAME=broker.sh
# shellcheck source=lib/rabbitmq.sh
source "$ROOT/scripts/lib/rabbitmq.sh"

export_node_files "$NODE" "$DIST_PORT" "$BASE"
export RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/enabled_plugins"
export RABBITMQ_PID_FILE="$BASE/node.pid"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$QUIET_SCHEDULERS"

ctl() {
  rabbitmqctl_on "$NODE" "$@"
}

node_pid() {
  live_beam_pid "$RABBITMQ_PID_FILE"
}

sign_cert() { # name cn ext
  local dir="$1" name="$2" cn="$3" ext="$4"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/$name.key" -out "$dir/$name.csr" \
    -subj "/CN=$cn" 2>/dev/null
  printf '%s\n' "$ext" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 825 -sha256 -extfile "$dir/$name.ext" \
    -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

ensure_tls() {
  local f missing=0 tmp="$BASE/tls.new"
  for f in ca.pem server.pem server.key client.pem client.key; do
    [[ -s "$TLS_DIR/$f" ]] || missing=1
  done
  [[ $missing == 1 ]] || return 0
  log "generating a throwaway CA, server and client certificates in $TLS_DIR"
  rm -rf "$tmp" "$TLS_DIR" && mkdir -p "$tmp" && chmod 700 "$tmp"
  cat >"$tmp/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = amqp-wire test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  openssl req -x509 -new -newkey rsa:2048 -nodes -config "$tmp/ca.cnf" -days 3650 -sha256 \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
  sign_cert "$tmp" server localhost "basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1"
  sign_cert "$tmp" client "$CLIENT_CN" "basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth"
  rm -f "$tmp/ca.cnf"
  chmod 600 "$tmp"/*.key
  mv "$tmp" "$TLS_DIR"
}

write_config() {
  mkdir -p "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
  : >"$RABBITMQ_CONF_ENV_FILE"
  echo '[rabbitmq_auth_mechanism_ssl].' >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  cat >"$RABBITMQ_CONFIG_FILE" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
listeners.ssl.default = 127.0.0.1:$AMQPS_PORT
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server.pem
ssl_options.keyfile = $TLS_DIR/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
auth_mechanisms.1 = PLAIN
auth_mechanisms.2 = AMQPLAIN
auth_mechanisms.3 = EXTERNAL
ssl_cert_login_from = common_name
loopback_users.guest = true
log.file.level = info
log.console = false
EOF
}

# rabbitmq-server -detached returns as soon as the VM forks, long before the listeners are up.
wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if amqp_answers "$AMQP_PORT"; then
      ctl -q await_startup --timeout 30 >/dev/null && return 0
    fi
    if [[ -s "$RABBITMQ_PID_FILE" ]] && ! node_pid >/dev/null; then
      die "node $NODE exited during boot; see $RABBITMQ_LOG_BASE/"
    fi
    sleep 1
  done
  die "node $NODE did not accept AMQP on 127.0.0.1:$AMQP_PORT within ${START_TIMEOUT}s; see $RABBITMQ_LOG_BASE/"
}

# EXTERNAL logs in as the client certificate's CN; that user needs no usable password.
ensure_client_user() {
  if ctl -q list_users --silent | awk '{print $1}' | grep -qx "$CLIENT_CN"; then
    return 0
  fi
  log "creating user $CLIENT_CN (EXTERNAL only) with full permissions on vhost /"
  ctl -q add_user "$CLIENT_CN" "$(openssl rand -hex 16)" >/dev/null
  ctl -q clear_password "$CLIENT_CN" >/dev/null
  ctl -q set_permissions -p / "$CLIENT_CN" '.*' '.*' '.*' >/dev/null
}

cmd_status() {
  local pid
  if pid="$(node_pid)" && amqp_answers "$AMQP_PORT"; then
    echo "node $NODE is running (pid $pid): amqp://127.0.0.1:$AMQP_PORT amqps://127.0.0.1:$AMQPS_PORT"
    return 0
  fi
  if [[ -n "${pid:-}" ]]; then
    echo "node $NODE has pid $pid but does not answer AMQP on 127.0.0.1:$AMQP_PORT"
  else
    echo "node $NODE is not running"
  fi
  return 1
}

cmd_start() {
  ensure_tools
  take_lock "$LOCK_TIMEOUT"
  if node_pid >/dev/null; then
    wait_ready
    ensure_client_user
    cmd_status
    return
  fi
  if tcp_open "$AMQP_PORT"; then
    die "127.0.0.1:$AMQP_PORT is taken by another process; stop it or use it through AMQP_URL"
  fi
  ensure_cookie
  ensure_tls
  write_config
  rm -f "$RABBITMQ_PID_FILE"
  log "starting $NODE from $RABBIT_BIN (logs: $RABBITMQ_LOG_BASE/)"
  # fd 9 holds the start lock; the detached VM (and epmd) must not inherit it.
  "$RABBIT_BIN/rabbitmq-server" -detached </dev/null >>"$RABBITMQ_LOG_BASE/startup.log" 2>&1 9>&- \
    || die "rabbitmq-server -detached failed; see $RABBITMQ_LOG_BASE/startup.log"
  wait_ready
  ensure_client_user
  cmd_status
}

cmd_stop() {
  local pid
  [[ -n "$RABBIT_BIN" ]] || die "rabbitmq-server is not installed"
  take_lock "$LOCK_TIMEOUT"
  if ! pid="$(node_pid)"; then
    echo "node $NODE is not running"
    rm -f "$RABBITMQ_PID_FILE"
    return 0
  fi
  log "stopping $NODE (pid $pid)"
  stop_beam "$NODE" "$pid" "$RABBITMQ_PID_FILE"
}

cmd_env() {
  cat <<EOF
export AMQP_URL='amqp://guest:guest@127.0.0.1:$AMQP_PORT/'
export AMQPS_URL='amqps://guest:guest@localhost:$AMQPS_PORT/'
export AMQP_TLS_DIR='$TLS_DIR'
export RABBITMQ_NODENAME='$NODE'
EOF
  print_path_export
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
