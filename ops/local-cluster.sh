#!/usr/bin/env bash
# ops/local-cluster.sh — a Gantry cluster of several members on this machine, for development and drills.
#
#   ops/local-cluster.sh start  [--dir DIR] [--size N] [--base-port P] [--from-snapshot FILE] [-- SERVER FLAGS...]
#   ops/local-cluster.sh status [--dir DIR]
#   ops/local-cluster.sh stop   [--dir DIR] [--purge]
#
# Run with --help for the details. Each member is a `bin/gantry server` process with its data, log and pid
# file under DIR/<name>/; DIR/cluster.env records the cluster's URLs for `status`, `stop` and your shell
# (`source DIR/cluster.env; etcdctl --endpoints=$ENDPOINTS member list`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GANTRY="${GANTRY:-$ROOT/bin/gantry}"
RESTORE="$ROOT/ops/backup/restore.sh"

usage() {
  cat <<'USAGE'
Usage: ops/local-cluster.sh start|status|stop [flags] [-- gantry server flags...]

  start    start the cluster's members and wait until each one's /health says true. A DIR that holds a
           stopped cluster is started again with its data and ports; an empty DIR gets a new cluster.
  status   each member's pid, URLs and health, then 'etcdctl endpoint status' (exit 1 unless all healthy)
  stop     stop the members (SIGTERM, then SIGKILL after 30 s); their data stays unless --purge

Flags:
  --dir DIR              where the cluster lives (default ./local-cluster, env GANTRY_CLUSTER_DIR)
  --size N               members of a new cluster (default 3)
  --base-port P          member i listens on P+10*(i-1) (client), +1 (peer), +2 (HTTP: /health, /metrics,
                         REST); default: free ports picked at random between 20000 and 32000
  --token TOKEN          --initial-cluster-token of a new cluster (default: local-<random>)
  --from-snapshot FILE   restore every member of a new cluster from a snapshot saved with
                         'etcdctl snapshot save' (ops/backup/restore.sh), then start them
  --wait SECONDS         how long start waits for health (default 180)
  --purge                stop: delete DIR afterwards
  -- FLAGS...            start: more 'gantry server' flags for every member, e.g. -- --snapshot-count 1000

Environment: GANTRY, the launcher to run (default: bin/gantry of this checkout).
Needs curl; 'status' also uses etcdctl when it is installed.
USAGE
}

die() { echo "local-cluster: $*" >&2; exit 1; }

cmd="${1:-}"
[[ -n "$cmd" ]] || { usage >&2; exit 2; }
shift
case "$cmd" in
  start|status|stop) ;;
  -h|--help|help) usage; exit 0 ;;
  *) echo "local-cluster: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac

DIR="${GANTRY_CLUSTER_DIR:-./local-cluster}"
SIZE=3
BASE_PORT=""
TOKEN=""
SNAPSHOT=""
WAIT=180
PURGE=false
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --size) SIZE="${2:?--size needs a value}"; shift 2 ;;
    --base-port) BASE_PORT="${2:?--base-port needs a value}"; shift 2 ;;
    --token) TOKEN="${2:?--token needs a value}"; shift 2 ;;
    --from-snapshot) SNAPSHOT="${2:?--from-snapshot needs a value}"; shift 2 ;;
    --wait) WAIT="${2:?--wait needs a value}"; shift 2 ;;
    --purge) PURGE=true; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "local-cluster: unknown flag '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "$SIZE" =~ ^[1-9][0-9]?$ ]] || die "--size must be a number from 1 to 99, not '$SIZE'"
[[ -z "$BASE_PORT" || "$BASE_PORT" =~ ^[0-9]+$ ]] || die "--base-port must be a port number, not '$BASE_PORT'"
[[ "$WAIT" =~ ^[0-9]+$ ]] || die "--wait must be a number of seconds, not '$WAIT'"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
ENV_FILE="$DIR/cluster.env"

# Whether something accepts connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Picks a base port B with B, B+1 and B+2 all unused (client, peer, HTTP), not among the ports in $@.
free_base_port() {
  local b tries
  for tries in $(seq 200); do
    b=$((20000 + (RANDOM % 1200) * 10))
    [[ " $* " == *" $b "* ]] && continue
    if ! port_open "$b" && ! port_open $((b + 1)) && ! port_open $((b + 2)); then
      echo "$b"
      return 0
    fi
  done
  die "found no free ports between 20000 and 32000"
}

# The pid in a member's pid file if that process is still the member's server (its command line names its
# data dir: a recycled pid is not mistaken for it).
member_pid() {
  local dir="$1" pid
  [[ -f "$dir/server.pid" ]] || return 1
  pid="$(cat "$dir/server.pid")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  local cmdline
  if [[ -r "/proc/$pid/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  else
    cmdline="$(ps -o args= -p "$pid" 2>/dev/null || true)"
  fi
  [[ "$cmdline" == *"$dir/data"* ]] || return 1
  echo "$pid"
}

healthy() { curl -sf --max-time 2 "$1/health" 2>/dev/null | grep -q '"health":"true"'; }

load_env() {
  [[ -f "$ENV_FILE" ]] || die "no cluster in $DIR (no cluster.env): start one with 'ops/local-cluster.sh start --dir $DIR'"
  # shellcheck disable=SC1090
  source "$ENV_FILE"
}

write_env() {
  local names=() clients=() https=() peers=() i base
  local used=()
  for i in $(seq "$SIZE"); do
    if [[ -n "$BASE_PORT" ]]; then
      base=$((BASE_PORT + 10 * (i - 1)))
    else
      base="$(free_base_port "${used[@]}")"
    fi
    used+=("$base")
    names+=("n$i")
    clients+=("http://127.0.0.1:$base")
    peers+=("n$i=http://127.0.0.1:$((base + 1))")
    https+=("http://127.0.0.1:$((base + 2))")
  done
  local joined_peers
  joined_peers="$(IFS=,; echo "${peers[*]}")"
  {
    echo "# The local cluster in $DIR (written by ops/local-cluster.sh start)."
    echo "NAMES=\"${names[*]}\""
    echo "CLIENT_URLS=\"${clients[*]}\""
    echo "HTTP_URLS=\"${https[*]}\""
    echo "INITIAL_CLUSTER=\"$joined_peers\""
    echo "TOKEN=\"${TOKEN:-local-$RANDOM$RANDOM}\""
    echo "ENDPOINTS=\"$(IFS=,; echo "${clients[*]}")\""
    echo "export ETCDCTL_API=3"
    echo "export ETCDCTL_ENDPOINTS=\"\$ENDPOINTS\""
    echo "export GANTRY_ENDPOINTS=\"\$ENDPOINTS\""
    echo "export GANTRY_SERVER=\"${https[0]}\""
  } >"$ENV_FILE"
}

# The i-th (0-based) word of a space-separated list.
nth() { local words; read -ra words <<<"$1"; echo "${words[$2]}"; }

peer_url_of() { # member name → its peer URL, from INITIAL_CLUSTER
  local entry
  IFS=, read -ra entries <<<"$INITIAL_CLUSTER"
  for entry in "${entries[@]}"; do
    [[ "${entry%%=*}" == "$1" ]] && { echo "${entry#*=}"; return; }
  done
}

start() {
  local fresh=false
  if [[ ! -f "$ENV_FILE" ]]; then
    fresh=true
    write_env
  elif [[ -n "$SNAPSHOT" ]]; then
    die "$DIR already holds a cluster: --from-snapshot makes a new one; give another --dir"
  fi
  load_env
  local names i name dir client http peer
  read -ra names <<<"$NAMES"
  for name in "${names[@]}"; do
    if member_pid "$DIR/$name" >/dev/null; then
      die "member $name is already running (pid $(member_pid "$DIR/$name")); 'stop' it first"
    fi
  done
  if [[ "$GANTRY" == "$ROOT/bin/gantry" && ! -f "$ROOT/server/target/quarkus-app/quarkus-run.jar" ]]; then
    # Build once here rather than in every member's launcher at the same time.
    "$GANTRY" snapshot --help >/dev/null
  fi
  if [[ -n "$SNAPSHOT" ]]; then
    local restores=()
    for name in "${names[@]}"; do # in parallel: each is a JVM start
      mkdir -p "$DIR/$name"
      GANTRY="$GANTRY" "$RESTORE" "$SNAPSHOT" --name "$name" --data-dir "$DIR/$name/data" \
        --initial-cluster "$INITIAL_CLUSTER" --initial-cluster-token "$TOKEN" \
        --initial-advertise-peer-urls "$(peer_url_of "$name")" >"$DIR/$name/restore.log" 2>&1 &
      restores+=($!)
    done
    for i in "${!names[@]}"; do
      if ! wait "${restores[$i]}"; then
        cat "$DIR/${names[$i]}/restore.log" >&2
        die "restoring member ${names[$i]} failed"
      fi
    done
  fi
  for i in "${!names[@]}"; do
    name="${names[$i]}"
    dir="$DIR/$name"
    client="$(nth "$CLIENT_URLS" "$i")"
    http="$(nth "$HTTP_URLS" "$i")"
    peer="$(peer_url_of "$name")"
    mkdir -p "$dir"
    nohup "$GANTRY" server --name "$name" --data-dir "$dir/data" \
      --listen-client-urls "$client" --advertise-client-urls "$client" \
      --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
      --listen-http-urls "$http" \
      --initial-cluster "$INITIAL_CLUSTER" --initial-cluster-token "$TOKEN" --initial-cluster-state new \
      "${EXTRA[@]}" >>"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/server.pid"
  done
  local deadline=$((SECONDS + WAIT)) pending
  while :; do
    pending=()
    for i in "${!names[@]}"; do
      name="${names[$i]}"
      # The pid just started (its command line is the script's until nohup execs the launcher).
      if ! kill -0 "$(cat "$DIR/$name/server.pid")" 2>/dev/null; then
        echo "---- last lines of $DIR/$name/server.log ----" >&2
        tail -n 40 "$DIR/$name/server.log" >&2
        stop_members
        die "member $name exited during start"
      fi
      # Healthy, and the etcd API listening (Quarkus may open the HTTP port first).
      client="$(nth "$CLIENT_URLS" "$i")"
      healthy "$(nth "$HTTP_URLS" "$i")" && port_open "${client##*:}" || pending+=("$name")
    done
    [[ ${#pending[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then
      for name in "${pending[@]}"; do
        echo "---- last lines of $DIR/$name/server.log ----" >&2
        tail -n 40 "$DIR/$name/server.log" >&2
      done
      stop_members
      die "not healthy after ${WAIT}s: ${pending[*]}"
    fi
    sleep 1
  done
  $fresh && echo "local-cluster: new cluster in $DIR" || echo "local-cluster: cluster in $DIR started again"
  echo "local-cluster: ${#names[@]} members healthy; client URLs: $ENDPOINTS"
  echo "local-cluster: source $ENV_FILE  # sets ETCDCTL_ENDPOINTS, GANTRY_ENDPOINTS and GANTRY_SERVER"
}

status() {
  load_env
  local names i name pid http ok=true
  read -ra names <<<"$NAMES"
  printf '%-6s %-8s %-28s %-28s %s\n' NAME PID CLIENT HTTP HEALTH
  for i in "${!names[@]}"; do
    name="${names[$i]}"
    http="$(nth "$HTTP_URLS" "$i")"
    if pid="$(member_pid "$DIR/$name")"; then
      if healthy "$http"; then health=true; else health=false; ok=false; fi
    else
      pid="-"; health="stopped"; ok=false
    fi
    printf '%-6s %-8s %-28s %-28s %s\n' "$name" "$pid" "$(nth "$CLIENT_URLS" "$i")" "$http" "$health"
  done
  if command -v etcdctl >/dev/null 2>&1 && $ok; then
    echo
    etcdctl endpoint status -w table || ok=false  # cluster.env exported ETCDCTL_ENDPOINTS
  fi
  $ok
}

# SIGTERM to every running member, SIGKILL to those still there after 30 s.
stop_members() {
  local names name pid pids=() deadline
  read -ra names <<<"$NAMES"
  for name in "${names[@]}"; do
    if pid="$(member_pid "$DIR/$name")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  deadline=$((SECONDS + 30))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "local-cluster: pid $pid did not stop within 30 s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for name in "${names[@]}"; do rm -f "$DIR/$name/server.pid"; done
  echo "local-cluster: stopped ${#pids[@]} member(s) in $DIR"
}

case "$cmd" in
  start) start ;;
  status) status ;;
  stop)
    load_env
    stop_members
    if $PURGE; then rm -rf "$DIR"; echo "local-cluster: deleted $DIR"; fi
    ;;
esac
