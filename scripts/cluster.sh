#!/usr/bin/env bash
# Runs a 3-node RabbitMQ cluster on this host for the cluster tests (test/cluster/).
#
#   scripts/cluster.sh start       start every node that is not running, wait for all three, form
#                                  the cluster if needed (idempotent)
#   scripts/cluster.sh stop        stop every node (idempotent)
#   scripts/cluster.sh kill N      kill -9 node N (1..3): a crash, no goodbye to its peers
#   scripts/cluster.sh restart N   start node N again and wait until it runs and has rejoined
#   scripts/cluster.sh status      which nodes run and what the cluster looks like; exit 1 unless all 3
#   scripts/cluster.sh env         print shell exports: eval "$(scripts/cluster.sh env)"
#
# Node N is nN@localhost with AMQP on 127.0.0.1:568N and Erlang distribution on 2568N, its data
# (Mnesia, logs, config, pid file) under .tmp/cluster/nN/ in the repository. The nodes run as the
# caller with the caller's Erlang cookie, like the project node of scripts/broker.sh, which keeps
# 5672/25674 and is never touched here. No plugins, so no management or Prometheus listeners.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$ROOT/.tmp/cluster"
NODES=(1 2 3)
CLUSTER_NAME=amqp-wire
START_TIMEOUT="${AMQPWIRE_CLUSTER_TIMEOUT:-120}"
LOCK_TIMEOUT=$((START_TIMEOUT * 2 + 60))
INSTALL_HINT="Debian: apt-get install rabbitmq-server, or bash scripts/install-system-deps.sh"

SCRIPT_NAME=cluster.sh
# shellcheck source=lib/rabbitmq.sh
source "$ROOT/scripts/lib/rabbitmq.sh"

node_name() { echo "n$1@localhost"; }
amqp_port() { echo $((5680 + $1)); }
dist_port() { echo $((25680 + $1)); }
node_dir() { echo "$BASE/n$1"; }
pid_file() { echo "$BASE/n$1/pid"; }

# Exports the variables that make rabbitmq-server and the CLI tools act on node N. Each node has
# its own env file so that /etc/rabbitmq/rabbitmq-env.conf cannot rename it.
use_node() {
  local n="$1" dir
  dir="$(node_dir "$n")"
  export_node_files "$(node_name "$n")" "$(dist_port "$n")" "$dir"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$(amqp_port "$n")"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/plugins"
  export RABBITMQ_PID_FILE="$dir/pid"
  # A small async pool and process table keep an idle node's footprint modest.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$QUIET_SCHEDULERS +A 8 +P 65536"
}

# erl_call (part of erlang-base) reaches a node in milliseconds; rabbitmqctl boots a VM per call,
# seconds each on a busy 2-core machine. It reads the same ~/.erlang.cookie.
find_erl_call() {
  local f
  for f in /usr/lib/erlang/bin/erl_call /usr/lib/erlang/lib/erl_interface-*/bin/erl_call; do
    [[ -x "$f" ]] && { echo "$f"; return 0; }
  done
  command -v erl_call 2>/dev/null
}
ERL_CALL="$(find_erl_call || true)"

# Evaluates an Erlang expression on node N and prints the result term; fails when the node does
# not answer within the timeout (default 20 s).
node_eval() { # N expr [timeout]
  local out secs="${3:-20}"
  if [[ -n "$ERL_CALL" ]]; then
    out="$(printf '%s\n' "$2" | timeout "$((secs + 5))" "$ERL_CALL" -n "$(node_name "$1")" -timeout "$secs" -e 2>/dev/null)" || return 1
    [[ "$out" == "{ok, "*"}" ]] || return 1
    out="${out#\{ok, }"
    printf '%s\n' "${out%\}}"
  else
    timeout "$((secs + 5))" "$RABBIT_BIN/rabbitmqctl" -n "$(node_name "$1")" -q eval "$2" 2>/dev/null
  fi
}

# The OS pid of node N when its pid file names a live BEAM process.
node_pid() { # N
  live_beam_pid "$(pid_file "$1")"
}

# The nodes of the cluster that node N sees running, one per line, or nothing.
running_nodes() { # N
  node_eval "$1" 'rabbit_mnesia:cluster_nodes(running).' | tr -d "[]' \n" | tr ',' '\n' | grep . | sort || true
}

# The nodes belong to whichever checkout started them. When another checkout on this host runs
# them, act through that checkout's script so that a restart finds the node's own data.
delegate_to_owner() { # args...
  local n dir owner
  for n in "${NODES[@]}"; do
    tcp_open "$(dist_port "$n")" || continue
    dir="$(node_eval "$n" 'rabbit_mnesia:dir().' | tr -d '"\n')" || continue
    [[ -n "$dir" ]] || continue
    case "$dir" in
      "$BASE"/*) return 0 ;;
    esac
    owner="${dir%%/.tmp/cluster/*}"
    if [[ "$owner" != "$dir" && -f "$owner/scripts/cluster.sh" ]]; then
      log "the cluster runs from $owner; using its scripts/cluster.sh"
      exec bash "$owner/scripts/cluster.sh" "$@"
    fi
    die "node $(node_name "$n") runs with data in $dir, not under $BASE; stop it first"
  done
}

write_config() { # N
  local n="$1" dir
  dir="$(node_dir "$n")"
  mkdir -p "$dir/mnesia" "$dir/log"
  : >"$dir/rabbitmq-env.conf"
  # Plugins would open listeners (15672, 15692) that three nodes cannot share.
  echo '[].' >"$dir/plugins"
  # Erlang terms only, no rabbitmq.conf: saves each boot the .conf translation through the
  # schemas. A small Raft WAL: quorum queues in tests hold little.
  rm -f "$dir/rabbitmq.conf"
  cat >"$dir/advanced.config" <<EOF
[{rabbit, [{tcp_listeners, [{"127.0.0.1", $(amqp_port "$n")}]},
           {loopback_users, [<<"guest">>]},
           {log, [{file, [{level, info}]}, {console, [{enabled, false}]}]}]},
 {ra, [{wal_max_size_bytes, 33554432}]}].
EOF
}

# Fails unless node N runs or its ports are free.
check_ports() { # N
  local n="$1"
  if node_pid "$n" >/dev/null; then return 0; fi
  if tcp_open "$(amqp_port "$n")"; then
    die "127.0.0.1:$(amqp_port "$n") is taken by another process, but $(node_name "$n") has no live pid in $(pid_file "$n")"
  fi
  if tcp_open "$(dist_port "$n")"; then
    die "127.0.0.1:$(dist_port "$n") (Erlang distribution of $(node_name "$n")) is taken by another process"
  fi
}

# Starts node N detached unless it runs already. Does not wait: after a full stop, each node
# waits at boot for the peer that stopped last, so all must be booting at once.
launch() { # N
  local n="$1"
  if node_pid "$n" >/dev/null; then return 0; fi
  check_ports "$n"
  write_config "$n"
  rm -f "$(pid_file "$n")"
  log "starting $(node_name "$n") on 127.0.0.1:$(amqp_port "$n") (logs: $(node_dir "$n")/log/)"
  # fd 9 holds the lock; the detached VM (and epmd) must not inherit it.
  (use_node "$n" && exec "$RABBIT_BIN/rabbitmq-server" -detached </dev/null >>"$(node_dir "$n")/log/startup.log" 2>&1 9>&-) \
    || die "rabbitmq-server -detached failed for $(node_name "$n"); see $(node_dir "$n")/log/startup.log"
}

# Waits until node N accepts AMQP and its rabbit application has booted, by an absolute deadline.
wait_ready() { # N deadline
  local n="$1" deadline="$2" name
  name="$(node_name "$n")"
  while ((SECONDS < deadline)); do
    if amqp_answers "$(amqp_port "$n")"; then
      [[ "$(node_eval "$n" 'rabbit:is_running().')" == true ]] && return 0
    fi
    # -detached forks: the pid file appears once the VM runs, and names a dead pid if it crashed.
    if [[ -s "$(pid_file "$n")" ]] && ! node_pid "$n" >/dev/null; then
      die "node $name exited during boot; see $(node_dir "$n")/log/"
    fi
    sleep 1
  done
  die "node $name did not accept AMQP on 127.0.0.1:$(amqp_port "$n") within ${START_TIMEOUT}s; see $(node_dir "$n")/log/"
}

# A node started from an empty directory forms a cluster of its own: move it into n1's. This
# RabbitMQ (3.10) needs stop_app and reset before join_cluster.
join_if_alone() { # N
  local n="$1" name
  name="$(node_name "$n")"
  if node_eval "$n" 'rabbit_mnesia:cluster_nodes(all).' | grep -qw 'n1@localhost'; then return 0; fi
  log "joining $name to n1@localhost"
  # What rabbitmqctl stop_app, reset, join_cluster n1@localhost and start_app call, in one round trip.
  local result
  result="$(node_eval "$n" "ok = rabbit:stop(), ok = rabbit_mnesia:reset(),
    ok = rabbit_mnesia:join_cluster('n1@localhost', disc), rabbit:start()." 120)" \
    || die "$name could not join n1@localhost; see $(node_dir "$n")/log/"
  [[ "$result" == ok ]] || die "$name could not join n1@localhost: $result"
}

# Waits until node N sees every node that has a live pid as a running cluster member.
wait_joined() { # N deadline
  local n="$1" deadline="$2" m want="" seen=""
  while ((SECONDS < deadline)); do
    want=""
    for m in "${NODES[@]}"; do
      if node_pid "$m" >/dev/null; then want+="$(node_name "$m") "; fi
    done
    seen="$(running_nodes "$n" | sort | tr '\n' ' ')"
    [[ "$seen" == "$want" ]] && return 0
    sleep 1
  done
  die "node $(node_name "$n") sees running nodes [${seen:-none}], expected [${want% }] after ${START_TIMEOUT}s; see $(node_dir "$n")/log/"
}

# Unnamed, each node reports a name of its own (nN@host) as the cluster_name server property.
name_cluster() {
  local result
  result="$(node_eval 1 "case rabbit_nodes:cluster_name() of
      <<\"$CLUSTER_NAME\">> -> ok;
      _ -> rabbit_nodes:set_cluster_name(<<\"$CLUSTER_NAME\">>, <<\"cluster.sh\">>)
    end.")" || die "could not name the cluster $CLUSTER_NAME through n1@localhost"
  [[ "$result" == ok ]] || die "naming the cluster $CLUSTER_NAME failed: $result"
}

cmd_start() {
  local n deadline
  ensure_tools "$INSTALL_HINT"
  take_lock "$LOCK_TIMEOUT"
  delegate_to_owner start
  ensure_cookie
  # Check every port before starting anything, so that a clash leaves no node half-started.
  for n in "${NODES[@]}"; do check_ports "$n"; done
  for n in "${NODES[@]}"; do launch "$n"; done
  deadline=$((SECONDS + START_TIMEOUT))
  for n in "${NODES[@]}"; do wait_ready "$n" "$deadline"; done
  join_if_alone 2
  join_if_alone 3
  deadline=$((SECONDS + START_TIMEOUT))
  for n in "${NODES[@]}"; do wait_joined "$n" "$deadline"; done
  name_cluster
  cmd_status
}

# Stops node N (graceful, SIGKILL after 30 s); quiet when it is not running.
stop_node() { # N
  local n="$1" pid
  pid="$(node_pid "$n")" || { rm -f "$(pid_file "$n")"; return 0; }
  stop_beam "$(node_name "$n")" "$pid" "$(pid_file "$n")"
}

cmd_stop() {
  local n
  [[ -n "$RABBIT_BIN" ]] || die "rabbitmq-server is not installed"
  take_lock "$LOCK_TIMEOUT"
  delegate_to_owner stop
  # All at once: a quorum queue member that loses its peers one by one would wait on each.
  for n in "${NODES[@]}"; do stop_node "$n" & done
  wait
}

check_node_arg() {
  [[ "${1:-}" =~ ^[123]$ ]] || { echo "usage: $0 $2 1|2|3" >&2; exit 2; }
}

cmd_kill() { # N
  local n="$1" pid i
  delegate_to_owner kill "$n"
  pid="$(node_pid "$n")" || die "node $(node_name "$n") is not running"
  kill -9 "$pid"
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && die "pid $pid of $(node_name "$n") survived kill -9 for 5s"
  echo "node $(node_name "$n") killed (pid $pid)"
}

cmd_restart() { # N
  local n="$1" deadline
  ensure_tools "$INSTALL_HINT"
  take_lock "$LOCK_TIMEOUT"
  delegate_to_owner restart "$n"
  ensure_cookie
  launch "$n"
  deadline=$((SECONDS + START_TIMEOUT))
  wait_ready "$n" "$deadline"
  wait_joined "$n" "$deadline"
  echo "node $(node_name "$n") running (pid $(node_pid "$n")), cluster: $(running_nodes "$n" | paste -sd ' ')"
}

cmd_status() {
  local n pid up=0 any=""
  for n in "${NODES[@]}"; do
    if pid="$(node_pid "$n")" && amqp_answers "$(amqp_port "$n")"; then
      echo "node $(node_name "$n") is running (pid $pid): amqp://127.0.0.1:$(amqp_port "$n")"
      up=$((up + 1))
      any="$n"
    elif [[ -n "${pid:-}" ]]; then
      echo "node $(node_name "$n") has pid $pid but does not answer AMQP on 127.0.0.1:$(amqp_port "$n")"
    elif amqp_answers "$(amqp_port "$n")"; then
      echo "node $(node_name "$n") answers AMQP on 127.0.0.1:$(amqp_port "$n") (started from another checkout)"
      up=$((up + 1))
      any="$n"
    else
      echo "node $(node_name "$n") is not running"
    fi
    pid=""
  done
  if [[ -n "$any" ]]; then
    echo "running cluster members seen by $(node_name "$any"): $(running_nodes "$any" | paste -sd ' ')"
  fi
  ((up == ${#NODES[@]}))
}

cmd_env() {
  local n urls=""
  for n in "${NODES[@]}"; do urls+="${urls:+,}amqp://guest:guest@127.0.0.1:$(amqp_port "$n")/"; done
  echo "export AMQP_CLUSTER_URLS='$urls'"
  echo "export AMQP_CLUSTER_NODES='n1@localhost,n2@localhost,n3@localhost'"
  print_path_export
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  kill) check_node_arg "${2:-}" kill && cmd_kill "$2" ;;
  restart) check_node_arg "${2:-}" restart && cmd_restart "$2" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|kill N|restart N|status|env" >&2; exit 2 ;;
esac
