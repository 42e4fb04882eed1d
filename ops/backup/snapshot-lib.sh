# Sourced by backup.sh and restore.sh: what both need to know about a Gantry snapshot file.

# The launcher: $GANTRY, else bin/gantry of the checkout this script is in, else `gantry` on PATH.
find_gantry() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if [[ -n "${GANTRY:-}" ]]; then
    echo "$GANTRY"
  elif [[ -x "$here/bin/gantry" ]]; then
    echo "$here/bin/gantry"
  elif command -v gantry >/dev/null 2>&1; then
    command -v gantry
  else
    return 1
  fi
}

sha256_hex() { # of stdin
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi
}

# Checks the SHA-256 that 'etcdctl snapshot save' leaves at the end of the file (the check etcdctl and
# 'gantry snapshot restore' make): the last 32 bytes must be the SHA-256 of everything before them.
# Prints the hash; fails with a sentence when it does not match.
verify_sha256() {
  local file="$1" size want got
  size="$(wc -c <"$file" | tr -d ' ')"
  if ((size <= 32)); then
    echo "$file is too short ($size bytes) to be a snapshot" >&2
    return 1
  fi
  want="$(tail -c 32 "$file" | od -An -v -tx1 | tr -d ' \n')"
  got="$(head -c $((size - 32)) "$file" | sha256_hex)"
  if [[ "$want" != "$got" ]]; then
    echo "$file failed its integrity check: its content hashes to $got, its trailer says $want (damaged or cut short)" >&2
    return 1
  fi
  echo "$got"
}
