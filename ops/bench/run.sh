#!/usr/bin/env bash
# Benchmarks Gantry KV against etcd 3.4 on this machine and prints the results side by side.
#
# For each system in turn: start a 3-member cluster on 127.0.0.1 with the same flags (etcd's), wait
# until every member is healthy, run the matrix with ops/bench (KvBench), stop the cluster. Then print
# one table: metric | etcd | gantry | gantry/etcd. See docs/benchmarks.md.
#
# The matrix has three groups: kv (fill, put, range), watch (watch fan-out at each --watch-rates) and
# keepalive (lease keep-alives). --only picks systems and groups.
#
#   ops/bench/run.sh                      # both systems, all groups
#   ops/bench/run.sh --only etcd          # one system; the other column shows "-"
#   ops/bench/run.sh --only watch         # both systems, the watch group only
#   ops/bench/run.sh --only etcd,keepalive
#   ops/bench/run.sh --rounds 3           # alternate etcd and gantry 3 times; report medians
#
# Environment: GANTRY_CMD (default "<repo>/bin/gantry server"), ETCD_CMD (etcd), ETCDCTL (etcdctl),
# JAVA_HOME or JAVA, BENCH_JAVA_OPTS, READY_TIMEOUT (seconds, 90), RUN_TIMEOUT (seconds per run, 300).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
JAR=$ROOT/ops/bench/target/bench.jar

ONLY=()
BASE_PORT=22379
DURATION=10s
WARMUP=5s
CLIENTS=100
KEY_SPACE=100000
WATCHERS=1000
WATCH_RATES=100,250
LEASES=10000
KEEPALIVE_STREAMS=100
ROUNDS=1
ROUND=1
OUT=""

usage() {
  cat <<EOF
usage: ops/bench/run.sh [--only etcd|gantry|kv|watch|keepalive[,...]] [--rounds N] [--base-port N]
                        [--duration T] [--warmup T] [--clients N] [--key-space N] [--watchers N]
                        [--watch-rates R[,R...]] [--leases N] [--keepalive-streams N] [--out DIR]
  --only       systems and/or groups to run, comma-separated or repeated (default: etcd, then gantry;
               all groups). Systems: etcd, gantry. Groups: kv (fill, put, range), watch (watch
               fan-out), keepalive (lease keep-alives)
  --rounds     repeat everything N times, alternating which system goes first; the table
               shows medians and the min-max range ($ROUNDS)
  --base-port  first port to try; a cluster takes 30 consecutive free ports below 32768 ($BASE_PORT)
  --duration   measurement time of each run ($DURATION)
  --warmup     warm-up of each run, discarded ($WARMUP)
  --clients    clients of the concurrent runs ($CLIENTS)
  --key-space  distinct keys; written once by a fill before the runs ($KEY_SPACE)
  --watchers   watch: watchers on the one prefix, over 10 streams on 10 connections ($WATCHERS)
  --watch-rates
               watch: the writer's puts/s, one run per rate ($WATCH_RATES)
  --leases     keepalive: leases granted before the run ($LEASES)
  --keepalive-streams
               keepalive: LeaseKeepAlive streams, one request in flight each ($KEEPALIVE_STREAMS)
  --out        where results and member logs go (ops/bench/target/results/<date>)
EOF
}

while (($#)); do
  case $1 in
    --only) ONLY+=("$2"); shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --base-port) BASE_PORT=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --key-space) KEY_SPACE=$2; shift 2 ;;
    --watchers) WATCHERS=$2; shift 2 ;;
    --watch-rates) WATCH_RATES=$2; shift 2 ;;
    --leases) LEASES=$2; shift 2 ;;
    --keepalive-streams) KEEPALIVE_STREAMS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

SYSTEMS=()
GROUPS_RUN=()
ONLY_ITEMS=()
for arg in "${ONLY[@]}"; do
  IFS=, read -r -a parts <<<"$arg"
  ONLY_ITEMS+=("${parts[@]}")
done
for item in "${ONLY_ITEMS[@]}"; do
  case $item in
    etcd|gantry) [[ " ${SYSTEMS[*]} " == *" $item "* ]] || SYSTEMS+=("$item") ;;
    kv|watch|keepalive) [[ " ${GROUPS_RUN[*]} " == *" $item "* ]] || GROUPS_RUN+=("$item") ;;
    *) echo "run.sh: --only takes etcd, gantry, kv, watch or keepalive, not '$item'" >&2; exit 2 ;;
  esac
done
((${#SYSTEMS[@]})) || SYSTEMS=(etcd gantry)
((${#GROUPS_RUN[@]})) || GROUPS_RUN=(kv watch keepalive)
# Always etcd first and kv, watch, keepalive in that order, whatever order --only named them in.
[[ " ${SYSTEMS[*]} " == *" etcd "* && " ${SYSTEMS[*]} " == *" gantry "* ]] && SYSTEMS=(etcd gantry)
ordered=()
for item in kv watch keepalive; do [[ " ${GROUPS_RUN[*]} " == *" $item "* ]] && ordered+=("$item"); done
GROUPS_RUN=("${ordered[@]}")
runs_group() { [[ " ${GROUPS_RUN[*]} " == *" $1 "* ]]; }
IFS=, read -r -a rates <<<"$WATCH_RATES"
WATCH_RATE_LIST=()
for rate in "${rates[@]}"; do
  [[ $rate =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: --watch-rates takes puts/s such as 100,250, not '$WATCH_RATES'" >&2; exit 2; }
  [[ " ${WATCH_RATE_LIST[*]} " == *" $rate "* ]] || WATCH_RATE_LIST+=("$rate")
done

read -r -a ETCD_ARGV <<<"${ETCD_CMD:-etcd}"
read -r -a GANTRY_ARGV <<<"${GANTRY_CMD:-$ROOT/bin/gantry server}"
ETCDCTL=${ETCDCTL:-etcdctl}
if [[ -z "${JAVA:-}" ]]; then
  # shellcheck source=../../bin/lib/java.sh
  source "$ROOT/bin/lib/java.sh"
  use_java  # a JDK >= 21, as the launcher finds it
fi
READY_TIMEOUT=${READY_TIMEOUT:-90}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
OUT=${OUT:-$ROOT/ops/bench/target/results/$(date +%Y%m%d-%H%M%S)}
export ETCDCTL_API=3

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------------------------------------------
# Processes and clean-up. Every member runs in its own session (setsid), so its pid is also its
# process group: stopping the group also stops what a launcher script started under it. (A script
# runs without job control, so its background jobs are no group leaders and setsid execs in place:
# $! is the member itself.)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gantry-bench.XXXXXX")
MEMBER_PIDS=()

stop_members() {
  local pid deadline=$((SECONDS + 15))
  for pid in "${MEMBER_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
  for pid in "${MEMBER_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  MEMBER_PIDS=()
}

cleanup() {
  stop_members
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------
# Ports: member i gets the block base+10i .. base+10i+9: clients on the first port, peers on the next.
# The rest of the block stays free for ports a server derives from its client port (Gantry's HTTP
# listens on the client port + 2 by default). All 30 ports must be free and below the kernel's
# ephemeral range (32768 and up), where outgoing connections could take them at any moment.

port_free() {
  if command -v ss >/dev/null; then
    [[ -z $(ss -Hltn "sport = :$1") ]]
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# Sets CLIENT_PORTS and PEER_PORTS.
pick_ports() {
  local base port ok
  for ((base = BASE_PORT; base + 29 < 32768; base += 30)); do
    ok=1
    for ((port = base; port <= base + 29; port++)); do
      port_free "$port" || { ok=0; break; }
    done
    if ((ok)); then
      CLIENT_PORTS=("$base" "$((base + 10))" "$((base + 20))")
      PEER_PORTS=("$((base + 1))" "$((base + 11))" "$((base + 21))")
      return 0
    fi
  done
  log "no 30 consecutive free ports between $BASE_PORT and 32767"
  return 1
}

# ---------------------------------------------------------------------------------------------------
# A cluster: the same three members and the same flags, whichever binary serves them.

# start_cluster <system> <command...>: starts the members and waits until all are healthy; sets ENDPOINTS.
start_cluster() {
  local system=$1 i cluster=""
  shift
  pick_ports || return 1
  for i in 0 1 2; do cluster+="${cluster:+,}m$i=http://127.0.0.1:${PEER_PORTS[i]}"; done
  mkdir -p "$WORK/$system"
  for i in 0 1 2; do
    setsid "$@" \
      --name "m$i" \
      --data-dir "$WORK/$system/m$i" \
      --listen-client-urls "http://127.0.0.1:${CLIENT_PORTS[i]}" \
      --advertise-client-urls "http://127.0.0.1:${CLIENT_PORTS[i]}" \
      --listen-peer-urls "http://127.0.0.1:${PEER_PORTS[i]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${PEER_PORTS[i]}" \
      --initial-cluster "$cluster" \
      --initial-cluster-state new \
      --initial-cluster-token "bench-$system-$$" \
      >"$OUT/logs/r$ROUND-$system-m$i.log" 2>&1 </dev/null &
    MEMBER_PIDS+=("$!")
  done
  ENDPOINTS=$(printf '127.0.0.1:%s,' "${CLIENT_PORTS[@]}")
  ENDPOINTS=${ENDPOINTS%,}
  log "$system: members on $ENDPOINTS (peers ${PEER_PORTS[*]}); waiting until healthy (at most ${READY_TIMEOUT}s)"
  wait_healthy "$system"
}

wait_healthy() {
  local system=$1 pid i start=$SECONDS
  until "$ETCDCTL" --endpoints "$ENDPOINTS" --command-timeout=2s endpoint health >/dev/null 2>&1; do
    for i in 0 1 2; do
      pid=${MEMBER_PIDS[i]}
      if ! kill -0 "$pid" 2>/dev/null; then
        log "$system: member m$i exited during start-up; the end of $OUT/logs/r$ROUND-$system-m$i.log:"
        tail -n 20 "$OUT/logs/r$ROUND-$system-m$i.log" >&2
        return 1
      fi
    done
    if ((SECONDS - start >= READY_TIMEOUT)); then
      log "$system: not healthy after ${READY_TIMEOUT}s; see $OUT/logs/r$ROUND-$system-m*.log"
      "$ETCDCTL" --endpoints "$ENDPOINTS" --command-timeout=2s endpoint health >&2
      return 1
    fi
    sleep 0.2
  done
  log "$system: healthy after $((SECONDS - start))s"
}

# The client endpoint of the current leader, from `endpoint status` (MemberID == Leader).
leader_endpoint() {
  "$ETCDCTL" --endpoints "$ENDPOINTS" --command-timeout=5s endpoint status -w fields 2>/dev/null | awk -F' : ' '
    /^"MemberID"/ { member = $2 }
    /^"Leader"/   { leader = $2 }
    /^"Endpoint"/ { if (member == leader) { gsub(/"/, "", $2); print $2; exit } }'
}

# ---------------------------------------------------------------------------------------------------
# The matrix. Each run appends "<system> TAB <round> TAB <label> TAB <json>" to results.tsv.

client_jvm_opts() {
  local opts=(-Xms512m -Xmx1g)
  local version
  version=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { print $2 }')
  # Netty 4.1 uses sun.misc.Unsafe; JDK 23+ warns about it unless allowed.
  ((${version:-0} >= 23)) && opts+=(--sun-misc-unsafe-memory-access=allow)
  echo "${BENCH_JAVA_OPTS:-${opts[*]}}"
}

# bench <system> <label> <workload> [KvBench options...]
bench() {
  local system=$1 label=$2 workload=$3 json
  shift 3
  # shellcheck disable=SC2086  # CLIENT_JVM_OPTS is a list of words
  json=$(timeout --foreground -k 5 "$RUN_TIMEOUT" "$JAVA" $CLIENT_JVM_OPTS -jar "$JAR" "$workload" \
    --endpoints "$ENDPOINTS" --warmup "$WARMUP" --duration "$DURATION" --key-space "$KEY_SPACE" --json "$@" \
    2>>"$OUT/logs/r$ROUND-$system-bench.log")
  local rc=$?
  if [[ -z $json ]]; then
    log "$system: $label failed (exit $rc); see $OUT/logs/r$ROUND-$system-bench.log"
    return 1
  fi
  printf '%s\t%s\t%s\t%s\n' "$system" "$ROUND" "$label" "$json" >>"$OUT/results.tsv"
  log "$system: $label: $json"
}

KV_LABELS=(
  "put, 1 client"
  "put, $CLIENTS clients"
  "range linearizable, $CLIENTS clients"
  "range serializable, $CLIENTS clients"
)
watch_label() { echo "watch, $WATCHERS watchers, $1 puts/s"; }
KEEPALIVE_LABEL="keepalive, $LEASES leases, $KEEPALIVE_STREAMS streams"
LABELS=()
runs_group kv && LABELS+=("${KV_LABELS[@]}")
if runs_group watch; then for rate in "${WATCH_RATE_LIST[@]}"; do LABELS+=("$(watch_label "$rate")"); done; fi
runs_group keepalive && LABELS+=("$KEEPALIVE_LABEL")

run_matrix() {
  local system=$1 failed=0 leader rate
  # Writes every key once: later reads all find a 256-byte value, and the servers get warm.
  runs_group kv && { bench "$system" fill fill --clients "$CLIENTS" --warmup 0 --total "$KEY_SPACE" || failed=1; }
  # One client goes to the leader, as etcd's `benchmark --target-leader` would: a follower adds a hop.
  # The watch runs' writer does too, so that a put's path to the event is the same on both systems.
  leader=$(leader_endpoint)
  [[ -n $leader ]] || { log "$system: no leader found by 'endpoint status'; the 1-client put and the watch writer use m0"; leader=${ENDPOINTS%%,*}; }
  if runs_group kv; then
    bench "$system" "${KV_LABELS[0]}" put --clients 1 --conns 1 --endpoints "$leader" || failed=1
    bench "$system" "${KV_LABELS[1]}" put --clients "$CLIENTS" || failed=1
    bench "$system" "${KV_LABELS[2]}" range --clients "$CLIENTS" || failed=1
    bench "$system" "${KV_LABELS[3]}" range --clients "$CLIENTS" --serializable || failed=1
  fi
  if runs_group watch; then
    # Watchers on all three members (10 streams, 10 connections: 4/3/3); one writer, to the leader.
    for rate in "${WATCH_RATE_LIST[@]}"; do
      bench "$system" "$(watch_label "$rate")" watch --watchers "$WATCHERS" --streams 10 --rate "$rate" \
        --writer-endpoint "$leader" || failed=1
    done
  fi
  if runs_group keepalive; then
    # Streams on all three members (one connection per 10 streams); a follower forwards keep-alives to the leader.
    bench "$system" "$KEEPALIVE_LABEL" keepalive --leases "$LEASES" --streams "$KEEPALIVE_STREAMS" || failed=1
  fi
  return "$failed"
}

# run_system <system> <command...>
run_system() {
  local system=$1 rc=0
  if ! command -v "$2" >/dev/null; then
    log "$system: '$2' is not an executable; set ${system^^}_CMD"
    return 1
  fi
  log "$system: starting 3 members: ${*:2}"
  start_cluster "$@" && run_matrix "$system" || rc=1
  stop_members
  rm -rf "${WORK:?}/$system"
  return "$rc"
}

# ---------------------------------------------------------------------------------------------------
# The side-by-side table, in Markdown so that it can be pasted into docs/benchmarks.md.

summarize() {
  local labels
  labels=$(printf '%s\n' "${LABELS[@]}")
  awk -F'\t' -v labels="$labels" '
    function field(json, name,   key) {
      key = "\"" name "\":"
      if (!match(json, key "[^,}]*")) return ""
      return substr(json, RSTART + length(key), RLENGTH - length(key))
    }
    # The median of the samples under key; sets low[key] and high[key]. "" if there is none.
    function median(key,   n, i, j, t, a) {
      n = count[key]
      if (n == 0) return ""
      for (i = 1; i <= n; i++) a[i] = sample[key, i] + 0
      for (i = 2; i <= n; i++) {
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
      }
      low[key] = a[1]; high[key] = a[n]
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function cell(key, value, fmt) {
      if (value == "") return "-"
      if (count[key] == 1) return sprintf(fmt, value)
      return sprintf(fmt " (" fmt "-" fmt ")", value, low[key], high[key])
    }
    # The metric names of a row: watch runs count events and delivery latency, keepalive runs keep-alives.
    function metric_name(label, m) {
      if (label ~ /^watch/) {
        if (m == "throughput") return "events delivered/s"
        return (m == "p50_ms" ? "p50" : "p99") " delivery latency (ms)"
      }
      if (label ~ /^keepalive/ && m == "throughput") return "throughput (keep-alives/s)"
      return name[m]
    }
    {
      for (m in name) if ((v = field($4, m)) != "") sample[$1, $3, m, ++count[$1, $3, m]] = v
      errors = field($4, "errors")
      if (errors + 0 > 0) notes = notes sprintf("%s, round %s, %s: %d failed requests\n", $1, $2, $3, errors)
      # Watch runs: every watcher must get every event once, in order. Keep-alive runs: no lease may expire.
      checks = ""
      split("missed duplicates out_of_order unexpected expired", check, " ")
      for (c = 1; c <= 5; c++) if ((v = field($4, check[c])) + 0 > 0) checks = checks sprintf(" %s=%d", check[c], v)
      if (checks != "") notes = notes sprintf("%s, round %s, %s:%s\n", $1, $2, $3, checks)
      if ($3 ~ /^watch/ && (r = field($4, "rate") + 0) > 0 && field($4, "put_rate") + 0 < 0.95 * r)
        notes = notes sprintf("%s, round %s, %s: the writer reached %.0f of %.0f puts/s\n", $1, $2, $3, field($4, "put_rate"), r)
    }
    BEGIN {
      split("throughput p50_ms p99_ms", metric, " ")
      name["throughput"] = "throughput (req/s)"; fmt["throughput"] = "%.0f"
      name["p50_ms"] = "p50 latency (ms)";       fmt["p50_ms"] = "%.2f"
      name["p99_ms"] = "p99 latency (ms)";       fmt["p99_ms"] = "%.2f"
    }
    END {
      n = split(labels, label, "\n")
      print "| metric | etcd | gantry | gantry/etcd |"
      print "|---|---:|---:|---:|"
      for (i = 1; i <= n; i++) for (j = 1; j <= 3; j++) {
        m = metric[j]; ke = "etcd" SUBSEP label[i] SUBSEP m; kg = "gantry" SUBSEP label[i] SUBSEP m
        e = median(ke); g = median(kg)
        ratio = (e != "" && g != "" && e + 0 > 0) ? sprintf("%.2f", g / e) : "-"
        printf "| %s: %s | %s | %s | %s |\n", label[i], metric_name(label[i], m), cell(ke, e, fmt[m]), cell(kg, g, fmt[m]), ratio
      }
      print ""
      print "Medians over the rounds run, with the min-max range when there was more than one."
      print "gantry/etcd: above 1 is better for throughput, below 1 is better for latency."
      if (notes != "") printf "\nFAILED REQUESTS OR CHECKS (results above are not comparable):\n%s", notes
    }' "$OUT/results.tsv"
}

# ---------------------------------------------------------------------------------------------------

main() {
  mkdir -p "$OUT/logs" || exit 1
  : >"$OUT/results.tsv"
  if [[ ! -f $JAR ]]; then
    log "building $JAR"
    (cd "$ROOT" && ./mvnw -B -q -f ops/pom.xml package) || { log "build failed; is kv-api installed? ./mvnw -B -q -pl kv/kv-api -am install -DskipTests"; exit 1; }
  fi
  CLIENT_JVM_OPTS=$(client_jvm_opts)
  command -v "$ETCDCTL" >/dev/null || { log "etcdctl not found (ETCDCTL=$ETCDCTL): it is the readiness probe"; exit 1; }
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "data dirs: $WORK ($(df -PT "$WORK" | awk 'NR == 2 { print $2 }'); a Raft log is fsynced on every commit: tmpfs would hide that cost)"
    echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
    echo "etcd: ${ETCD_ARGV[*]} ($("${ETCD_ARGV[0]}" --version 2>/dev/null | head -n 1))"
    echo "gantry: ${GANTRY_ARGV[*]}"
    echo "java (client): $("$JAVA" -version 2>&1 | head -n 1)"
    echo "runs: $ROUNDS round(s) of ${GROUPS_RUN[*]}; warm-up $WARMUP, measure $DURATION"
    runs_group kv && echo "kv: key space $KEY_SPACE, $CLIENTS clients"
    runs_group watch && echo "watch: $WATCHERS watchers on 10 streams, writer at ${WATCH_RATES} puts/s"
    runs_group keepalive && echo "keepalive: $LEASES leases, $KEEPALIVE_STREAMS streams"
  } >"$OUT/environment.txt"

  # bin/gantry builds the server when it is missing: three members starting at once would run three
  # builds into one target directory. Build it once, beforehand.
  if [[ " ${SYSTEMS[*]} " == *" gantry "* && -z ${GANTRY_CMD:-} && ! -f $ROOT/server/target/quarkus-app/quarkus-run.jar ]]; then
    log "the Gantry server is not built; build it first: ./mvnw -B -q -DskipTests -pl server -am install"
    exit 1
  fi

  local system order status=0
  for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    # Alternate which system goes first, so that a drift in the machine's load favours neither.
    order=("${SYSTEMS[@]}")
    ((ROUND % 2 == 0 && ${#order[@]} == 2)) && order=("${order[1]}" "${order[0]}")
    for system in "${order[@]}"; do
      ((ROUNDS == 1)) || log "round $ROUND of $ROUNDS"
      case $system in
        etcd) run_system etcd "${ETCD_ARGV[@]}" || status=1 ;;
        gantry) run_system gantry "${GANTRY_ARGV[@]}" || status=1 ;;
      esac
    done
  done

  echo
  cat "$OUT/environment.txt"
  echo
  summarize | tee "$OUT/summary.md"
  echo
  echo "results: $OUT"
  exit "$status"
}

main
