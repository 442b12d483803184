# Shared by scripts/broker.sh and scripts/cluster.sh, which source it after setting SCRIPT_NAME
# (the prefix of their log lines). Defines functions and RABBIT_BIN; starts nothing.

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

if [[ -z "${HOME:-}" ]]; then
  HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
  export HOME
fi

# The Debian wrappers in /usr/sbin re-run every command as the rabbitmq user through su (another
# HOME, so another cookie); the scripts they wrap run as the caller, which keeps the nodes' files
# owned by whoever runs these scripts.
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

# Schedulers that busy-wait burn a shared 2-core machine for nothing.
QUIET_SCHEDULERS="+sbwt none +sbwtdcpu none +sbwtdio none"

# Exports where a node named NAME keeps its data and config: everything under DIR.
export_node_files() { # name dist_port dir
  export RABBITMQ_NODENAME="$1"
  export RABBITMQ_DIST_PORT="$2"
  export RABBITMQ_MNESIA_BASE="$3/mnesia"
  export RABBITMQ_LOG_BASE="$3/log"
  export RABBITMQ_CONFIG_FILE="$3/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$3/advanced.config"
  export RABBITMQ_CONF_ENV_FILE="$3/rabbitmq-env.conf"
}

rabbitmqctl_on() { # name args...
  local name="$1"
  shift
  timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$name" "$@"
}

tcp_open() { # port
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Sends the AMQP 0-9-1 protocol header and checks that the reply starts like a connection.start
# method frame: type 1, channel 0, then (after the 4-byte size) class 10, method 10.
amqp_answers() { # port
  local hex
  hex="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 || exit 1
    printf 'AMQP\\x00\\x00\\x09\\x01' >&3
    head -c 11 <&3 | od -An -v -tx1" 2>/dev/null | tr -d ' \n')" || return 1
  [[ "$hex" =~ ^010000[0-9a-f]{8}000a000a$ ]]
}

# Prints the pid that FILE names when it is a live BEAM process; fails otherwise.
live_beam_pid() { # file
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name a pid the kernel has since given to something else.
  if [[ -r "/proc/$pid/comm" && "$(cat "/proc/$pid/comm")" != beam* ]]; then return 1; fi
  echo "$pid"
}

ensure_tools() { # [how to install rabbitmq-server]
  [[ -n "$RABBIT_BIN" ]] || die "rabbitmq-server is not installed (${1:-Debian: apt-get install rabbitmq-server})"
  command -v openssl >/dev/null 2>&1 || die "openssl is not installed (Debian: apt-get install openssl)"
  command -v flock >/dev/null 2>&1 || die "flock (util-linux) is not installed"
}

# Every node and every CLI call must share one cookie, and Erlang distribution refuses a cookie
# file that others can read. Reuses the caller's, else the Debian rabbitmq user's (so that the
# su-based /usr/sbin/rabbitmqctl reaches these nodes too), else makes one.
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

# Holds $BASE/lock on fd 9 until the script exits, waiting at most SECONDS for it.
take_lock() { # seconds
  mkdir -p "$BASE"
  exec 9>"$BASE/lock"
  flock -w "$1" 9 || die "another $SCRIPT_NAME holds $BASE/lock"
}

# Stops the node NAME whose VM is PID: rabbitmqctl stop, SIGTERM when that fails, SIGKILL after
# 30 s. Removes the pid file.
stop_beam() { # name pid pid_file
  local name="$1" pid="$2" file="$3" i
  if ! rabbitmqctl_on "$name" -q stop "$file" >/dev/null 2>&1; then
    log "rabbitmqctl stop $name failed; sending SIGTERM to $pid"
    kill "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) still alive after 30s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
  echo "node $name stopped"
}

# The PATH line of the scripts' `env` command, when RabbitMQ is installed.
print_path_export() {
  if [[ -n "$RABBIT_BIN" ]]; then
    printf 'export PATH="%s:$PATH"\n' "$RABBIT_BIN"
  fi
}
