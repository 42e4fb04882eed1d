# Sourced by bin/gantry and bin/test: finds a JDK >= 21 and exports JAVA_HOME, or explains what is missing.
GANTRY_MIN_JAVA=21

java_major() { # the major version of the java binary $1, or nothing
  "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -1
}

# Prints the path of a java binary >= GANTRY_MIN_JAVA: GANTRY_JAVA_HOME, JAVA_HOME, `java` on PATH, then
# /usr/lib/jvm/* and /opt/java/*. Returns 1 after saying which versions it saw.
find_java() {
  local candidates=() jdk c v seen=""
  [[ -n "${GANTRY_JAVA_HOME:-}" ]] && candidates+=("$GANTRY_JAVA_HOME/bin/java")
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for jdk in /usr/lib/jvm/*/bin/java /opt/java/*/bin/java; do
    [[ -x "$jdk" ]] && candidates+=("$jdk")
  done
  for c in "${candidates[@]}"; do
    [[ -x "$c" ]] || continue
    v="$(java_major "$c")"
    seen+="  $c: ${v:-unknown}"$'\n'
    if [[ -n "$v" && "$v" -ge $GANTRY_MIN_JAVA ]]; then
      echo "$c"
      return 0
    fi
  done
  {
    echo "gantry: needs Java $GANTRY_MIN_JAVA or newer, and found none."
    [[ -n "$seen" ]] && { echo "Java installations found (major version):"; printf '%s' "$seen"; }
    echo "Install a JDK >= $GANTRY_MIN_JAVA (e.g. 'apt-get install openjdk-21-jdk-headless' or Temurin 21/25),"
    echo "or point GANTRY_JAVA_HOME at one."
  } >&2
  return 1
}

# Exports JAVA_HOME for the JDK find_java picks (the Maven wrapper uses it); sets JAVA to its java.
use_java() {
  JAVA="$(find_java)" || exit 1
  JAVA_HOME="$(cd "$(dirname "$(readlink -f "$JAVA")")/.." && pwd)"
  export JAVA_HOME
}
