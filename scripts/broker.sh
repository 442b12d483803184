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

log() { printf 'broker.sh: %s\n' "$*" >&2; }
die() { printf 'broker.sh: error: %s\n' "$*" >&2; exit 1; }

if [[ -z "${HOME:-}" ]]; then
  HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
  export HOME
fi

# The Debian wrappers in /usr/sbin re-run every command as the rabbitmq user through su; the
# scripts they wrap run as the caller, which keeps the node's files owned by whoever runs this.
find_rabbit_bin() {
  if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
    echo /usr/lib/rabbitmq/bin
  elif command -v rabbitmq-server >/dev/null 2>&1; then
    dirname "$(command -v rabbitmq-server)"
  elif [[ -x /usr/sbin/rabbitmq-server ]]; then
    echo /usr/sbin
  else
    return 1
  fi
}
RABBIT_BIN="$(find_rabbit_bin || true)"

export RABBITMQ_NODENAME="$NODE"
export RABBITMQ_MNESIA_BASE="$BASE/mnesia"
export RABBITMQ_LOG_BASE="$BASE/log"
export RABBITMQ_CONFIG_FILE="$BASE/rabbitmq.conf"
export RABBITMQ_ADVANCED_CONFIG_FILE="$BASE/advanced.config"
export RABBITMQ_CONF_ENV_FILE="$BASE/rabbitmq-env.conf"
export RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/enabled_plugins"
export RABBITMQ_PID_FILE="$BASE/node.pid"
export RABBITMQ_DIST_PORT="$DIST_PORT"
# Schedulers that busy-wait burn a shared 2-core machine for nothing.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none"

ctl() {
  timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$NODE" "$@"
}

tcp_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Sends the AMQP 0-9-1 protocol header and checks that the reply starts like a connection.start
# method frame: type 1, channel 0, then (after the 4-byte size) class 10, method 10.
amqp_answers() {
  local hex
  hex="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$AMQP_PORT || exit 1
    printf 'AMQP\\x00\\x00\\x09\\x01' >&3
    head -c 11 <&3 | od -An -v -tx1" 2>/dev/null | tr -d ' \n')" || return 1
  [[ "$hex" =~ ^010000[0-9a-f]{8}000a000a$ ]]
}

node_pid() {
  local pid
  [[ -s "$RABBITMQ_PID_FILE" ]] || return 1
  pid="$(tr -dc '0-9' <"$RABBITMQ_PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name a pid the kernel has since given to something else.
  if [[ -r "/proc/$pid/comm" && "$(cat "/proc/$pid/comm")" != beam* ]]; then return 1; fi
  echo "$pid"
}

ensure_tools() {
  [[ -n "$RABBIT_BIN" ]] || die "rabbitmq-server is not installed (Debian: apt-get install rabbitmq-server)"
  command -v openssl >/dev/null 2>&1 || die "openssl is not installed (Debian: apt-get install openssl)"
  command -v flock >/dev/null 2>&1 || die "flock (util-linux) is not installed"
}

# Erlang distribution refuses a cookie file that others can read. When the Debian rabbitmq user
# has one, reuse it so the su-based /usr/sbin/rabbitmqctl reaches this node too.
ensure_cookie() {
  local cookie="$HOME/.erlang.cookie" system=/var/lib/rabbitmq/.erlang.cookie
  if [[ ! -s "$cookie" ]]; then
    if [[ -r "$system" && -s "$system" ]]; then
      cp "$system" "$cookie"
    else
      (umask 077; openssl rand -hex 20 | tr 'a-f' 'A-F' | tr -d '\n' >"$cookie")
    fi
    log "created $cookie"
  fi
  chmod 400 "$cookie"
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
    if amqp_answers; then
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
  if pid="$(node_pid)" && amqp_answers; then
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

take_lock() {
  mkdir -p "$BASE"
  exec 9>"$BASE/lock"
  flock -w $((START_TIMEOUT + 30)) 9 || die "another broker.sh holds $BASE/lock"
}

cmd_start() {
  ensure_tools
  take_lock
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
  take_lock
  if ! pid="$(node_pid)"; then
    echo "node $NODE is not running"
    rm -f "$RABBITMQ_PID_FILE"
    return 0
  fi
  log "stopping $NODE (pid $pid)"
  if ! ctl -q stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1; then
    log "rabbitmqctl stop failed; sending SIGTERM to $pid"
    kill "$pid" 2>/dev/null || true
  fi
  local i
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still alive after 30s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RABBITMQ_PID_FILE"
  echo "node $NODE stopped"
}

cmd_env() {
  cat <<EOF
export AMQP_URL='amqp://guest:guest@127.0.0.1:$AMQP_PORT/'
export AMQPS_URL='amqps://guest:guest@localhost:$AMQPS_PORT/'
export AMQP_TLS_DIR='$TLS_DIR'
export RABBITMQ_NODENAME='$NODE'
EOF
  if [[ -n "$RABBIT_BIN" ]]; then
    printf 'export PATH="%s:$PATH"\n' "$RABBIT_BIN"
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
