#!/usr/bin/env bash
# ops/backup/backup.sh — saves a snapshot of a Gantry cluster with 'etcdctl snapshot save' into a timestamped
# file, checks it, and prunes old ones. Meant to run daily (systemd: gantry-backup.timer; or cron). --help.
set -euo pipefail
# shellcheck source=snapshot-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/snapshot-lib.sh"

usage() {
  cat <<'USAGE'
Usage: backup.sh --endpoints URL[,URL...] --dir DIR [flags]

Saves a snapshot from the first endpoint whose 'etcdctl endpoint health' passes, into
DIR/PREFIX-YYYYmmddTHHMMSSZ.db (UTC), then checks it before it gets that name:
  1. the SHA-256 at its end matches its content (what a restore checks first);
  2. unless --no-restore-check: 'gantry snapshot restore' reads all of it into a scratch directory under
     DIR (needs free space there about the size of the store, and the gantry launcher), and reports the
     snapshot's revision.
A snapshot that fails a check is deleted and the script exits 1; older snapshots are then left alone.
Then it keeps the newest --keep snapshots and deletes older ones, and with --max-age-days also those
older than that (never the one just taken).

Flags:
  --endpoints URLS      the cluster's client URLs (comma-separated); env ETCDCTL_ENDPOINTS
  --dir DIR             where snapshots go (created if missing)
  --keep N              snapshots to keep (default 7)
  --max-age-days D      also delete snapshots older than D days (default: off)
  --prefix NAME         file name prefix (default gantry)
  --no-restore-check    skip the trial restore (only the SHA-256 is checked)
Environment: ETCDCTL (default etcdctl); etcdctl's own ETCDCTL_* variables (certificates, user) apply;
GANTRY, the launcher for the trial restore (default: bin/gantry of this checkout, else gantry on PATH).
Prints one line per snapshot kept or deleted; exit status 0 only when the new snapshot passed its checks.
USAGE
}

die() { echo "backup: $*" >&2; exit 1; }

ENDPOINTS="${ETCDCTL_ENDPOINTS:-}"
DIR=""
KEEP=7
MAX_AGE_DAYS=""
PREFIX=gantry
RESTORE_CHECK=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --endpoints) ENDPOINTS="${2:?--endpoints needs a value}"; shift 2 ;;
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --keep) KEEP="${2:?--keep needs a value}"; shift 2 ;;
    --max-age-days) MAX_AGE_DAYS="${2:?--max-age-days needs a value}"; shift 2 ;;
    --prefix) PREFIX="${2:?--prefix needs a value}"; shift 2 ;;
    --no-restore-check) RESTORE_CHECK=false; shift ;;
    *) echo "backup: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -n "$ENDPOINTS" ]] || { echo "backup: --endpoints is needed" >&2; usage >&2; exit 2; }
[[ -n "$DIR" ]] || { echo "backup: --dir is needed" >&2; usage >&2; exit 2; }
[[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || die "--keep must be 1 or more, not '$KEEP'"
[[ -z "$MAX_AGE_DAYS" || "$MAX_AGE_DAYS" =~ ^[1-9][0-9]*$ ]] || die "--max-age-days must be 1 or more, not '$MAX_AGE_DAYS'"
[[ "$PREFIX" =~ ^[A-Za-z0-9._-]+$ ]] || die "--prefix may hold letters, digits, '.', '_' and '-' only"
ETCDCTL="${ETCDCTL:-etcdctl}"
command -v "$ETCDCTL" >/dev/null 2>&1 || die "$ETCDCTL not found (Debian: apt-get install etcd-client)"
export ETCDCTL_API=3
unset ETCDCTL_ENDPOINTS # etcdctl refuses a flag and its variable together; the flag below says which member

mkdir -p "$DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR/.backup.lock"
  flock -n 9 || die "another backup into $DIR is running"
fi

# 'snapshot save' takes one endpoint: the first healthy one.
endpoint=""
IFS=, read -ra candidates <<<"$ENDPOINTS"
for candidate in "${candidates[@]}"; do
  if "$ETCDCTL" --endpoints="$candidate" --command-timeout=5s endpoint health >/dev/null 2>&1; then
    endpoint="$candidate"
    break
  fi
  echo "backup: $candidate is not healthy, trying the next endpoint" >&2
done
[[ -n "$endpoint" ]] || die "no healthy endpoint among $ENDPOINTS"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$DIR/$PREFIX-$stamp.db"
n=1
while [[ -e "$final" ]]; do final="$DIR/$PREFIX-$stamp-$n.db"; n=$((n + 1)); done
part="$DIR/.$(basename "$final").part"
scratch=""
cleanup() {
  rm -f "$part"
  [[ -z "$scratch" ]] || rm -rf "$scratch"
}
trap cleanup EXIT

# etcdctl logs its progress on stderr: shown only when the save fails.
if ! out="$("$ETCDCTL" --endpoints="$endpoint" snapshot save "$part" 2>&1)"; then
  echo "$out" >&2
  die "etcdctl snapshot save from $endpoint failed"
fi
# Checked before the file gets its final name: a name of the form PREFIX-TIME.db is always a checked snapshot.
hash="$(verify_sha256 "$part")" || die "the snapshot from $endpoint failed its check; nothing kept"
revision="unchecked"
if $RESTORE_CHECK; then
  GANTRY="$(find_gantry)" || die "no gantry launcher for the trial restore: set GANTRY, or give --no-restore-check"
  scratch="$(mktemp -d "$DIR/.restore-check.XXXXXX")"
  if ! out="$("$GANTRY" snapshot restore "$part" --name check --data-dir "$scratch/member" \
      --initial-advertise-peer-urls http://127.0.0.1:2380 2>&1)"; then
    echo "$out" >&2
    die "the trial restore of the snapshot from $endpoint failed; nothing kept"
  fi
  [[ "$out" =~ \(revision\ ([0-9]+)\) ]] && revision="${BASH_REMATCH[1]}"
  rm -rf "$scratch"
  scratch=""
fi
mv "$part" "$final"
echo "backup: saved $final ($(wc -c <"$final" | tr -d ' ') bytes, revision $revision, sha256 ${hash:0:16}...) from $endpoint"

# Retention: newest first; keep the first KEEP, and with MAX_AGE_DAYS drop older ones but never the new file.
mapfile -t snapshots < <(ls -1t "$DIR"/"$PREFIX"-*.db 2>/dev/null || true)
now="$(date +%s)"
for i in "${!snapshots[@]}"; do
  f="${snapshots[$i]}"
  [[ "$f" == "$final" ]] && continue
  expired=false
  if [[ -n "$MAX_AGE_DAYS" ]]; then
    mtime="$(date -r "$f" +%s)"
    ((now - mtime > MAX_AGE_DAYS * 86400)) && expired=true
  fi
  if ((i >= KEEP)) || $expired; then
    rm -f "$f"
    echo "backup: deleted $f"
  fi
done
