#!/usr/bin/env bash
# ops/backup/restore.sh — makes one member's data directory of a NEW cluster from a snapshot saved by
# backup.sh (or 'etcdctl snapshot save'), with 'gantry snapshot restore'. Run it on every member, with the
# same snapshot, --initial-cluster and token, then start the members. --help for the flags.
set -euo pipefail
# shellcheck source=snapshot-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/snapshot-lib.sh"

usage() {
  cat <<'USAGE'
Usage: restore.sh SNAPSHOT [--env-file FILE] [flags]

Restores one member of a new cluster from SNAPSHOT: checks the file's SHA-256, then runs
'gantry snapshot restore'. Every member of the new cluster is restored from the same file, each with its
own --name and --data-dir and the same --initial-cluster and --initial-cluster-token; then each is
started with 'gantry server' (systemd: systemctl start gantry-server). The new cluster has the snapshot's
keys, revisions and leases, and new cluster and member IDs.

Flags (gantry snapshot restore's; explicit flags win over --env-file):
  --env-file FILE                      read --name, --data-dir, --initial-cluster,
                                       --initial-advertise-peer-urls and --initial-cluster-token from
                                       GANTRY_SERVER_FLAGS in FILE (the systemd unit's environment file,
                                       e.g. /etc/gantry/gantry-server.env)
  --name NAME                          this member's name
  --data-dir DIR                       its data directory: must not exist or be empty, unless --move-aside
  --initial-cluster NAME=URL,...       every member of the new cluster
  --initial-advertise-peer-urls URL    this member's peer URL
  --initial-cluster-token TOKEN        the new cluster's token (default: restored-<first 12 hex digits of
                                       the snapshot's SHA-256>, the same on every member restored from it)
  --move-aside                         rename an existing --data-dir to DIR.before-restore-<UTC time>
                                       first (moved back if the restore fails)
  --skip-hash-check                    restore a dump without the SHA-256 trailer (a Raft snapshot file)
Environment: GANTRY, the launcher (default: bin/gantry of this checkout, else gantry on PATH).
Run it as the user the server runs as (systemd: sudo -u gantry ...), so that the data is that user's.
USAGE
}

die() { echo "restore: $*" >&2; exit 1; }

SNAPSHOT=""
ENV_FILE=""
MOVE_ASIDE=false
SKIP_HASH=false
declare -A FLAG=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --env-file) ENV_FILE="${2:?--env-file needs a value}"; shift 2 ;;
    --move-aside) MOVE_ASIDE=true; shift ;;
    --skip-hash-check) SKIP_HASH=true; shift ;;
    --name|--data-dir|--initial-cluster|--initial-advertise-peer-urls|--initial-cluster-token)
      FLAG[${1#--}]="${2:?$1 needs a value}"; shift 2 ;;
    --*) echo "restore: unknown flag '$1'" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$SNAPSHOT" ]] || die "one snapshot file, please: got '$SNAPSHOT' and '$1'"; SNAPSHOT="$1"; shift ;;
  esac
done
[[ -n "$SNAPSHOT" ]] || { usage >&2; exit 2; }
[[ -f "$SNAPSHOT" ]] || die "snapshot file $SNAPSHOT does not exist"

if [[ -n "$ENV_FILE" ]]; then
  [[ -r "$ENV_FILE" ]] || die "cannot read $ENV_FILE"
  flags="$(sed -n 's/^GANTRY_SERVER_FLAGS=//p' "$ENV_FILE" | tail -1)"
  flags="${flags#[\"\']}"
  flags="${flags%[\"\']}"
  read -ra words <<<"$flags"
  for ((i = 0; i < ${#words[@]}; i++)); do
    word="${words[$i]}"
    [[ "$word" == --* ]] || continue
    name="${word#--}"
    if [[ "$name" == *=* ]]; then value="${name#*=}"; name="${name%%=*}"; else value="${words[$((i + 1))]:-}"; fi
    case "$name" in
      name|data-dir|initial-cluster|initial-advertise-peer-urls|initial-cluster-token)
        [[ -n "${FLAG[$name]:-}" ]] || FLAG[$name]="$value" ;;
    esac
  done
fi
for required in name data-dir initial-cluster initial-advertise-peer-urls; do
  [[ -n "${FLAG[$required]:-}" ]] || die "--$required is needed (or an --env-file that has it)"
done

GANTRY="$(find_gantry)" || die "no gantry launcher: set GANTRY=/path/to/bin/gantry"
if $SKIP_HASH; then
  hash="$(sha256_hex <"$SNAPSHOT")"
else
  hash="$(verify_sha256 "$SNAPSHOT")" || die "refusing to restore from $SNAPSHOT"
fi
[[ -n "${FLAG[initial-cluster-token]:-}" ]] || FLAG[initial-cluster-token]="restored-${hash:0:12}"

DATA="${FLAG[data-dir]}"
ASIDE=""
if [[ -d "$DATA" && -n "$(ls -A "$DATA")" ]]; then
  $MOVE_ASIDE || die "--data-dir $DATA exists and is not empty: give --move-aside to keep it as a copy, or an empty directory"
  ASIDE="$DATA.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$DATA" "$ASIDE"
  echo "restore: moved the old $DATA to $ASIDE"
fi

args=(snapshot restore "$SNAPSHOT")
for name in name data-dir initial-cluster initial-advertise-peer-urls initial-cluster-token; do
  args+=("--$name" "${FLAG[$name]}")
done
$SKIP_HASH && args+=(--skip-hash-check)
if ! "$GANTRY" "${args[@]}"; then
  if [[ -n "$ASIDE" ]]; then
    rm -rf "$DATA"
    mv "$ASIDE" "$DATA"
    echo "restore: failed; $DATA is back as it was" >&2
  fi
  exit 1
fi
echo "restore: member ${FLAG[name]} restored into $DATA (cluster token ${FLAG[initial-cluster-token]})"
echo "restore: start it with --name ${FLAG[name]} --data-dir $DATA --initial-cluster ${FLAG[initial-cluster]}" \
  "--initial-cluster-token ${FLAG[initial-cluster-token]} --initial-cluster-state new and its URL flags"
