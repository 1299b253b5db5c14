#!/usr/bin/env bash
# Builds the Java conformance suite: compiles src/main/java to target/classes and copies the runtime
# dependencies (pulsar-client, slf4j-simple, ...) to target/lib, so run-suite.sh needs only `java -cp`.
# Idempotent and quiet: does nothing when pom.xml and the sources are unchanged since the last build.
# Uses Maven's default local repository (~/.m2). Fails loudly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() { echo "compat-tests/java/install.sh: $*" >&2; exit 1; }

command -v mvn >/dev/null || fail "mvn not found (apt-get install maven)"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$java_bin" >/dev/null || fail "java not found (JDK 17 or newer)"

stamp="target/.compat-install-stamp"
inputs_hash() {
  { cat pom.xml; find src -type f -name '*.java' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -d" " -f1
}
want="$(inputs_hash)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d target/classes ] && [ -d target/lib ]; then
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# bounded: the first run downloads ~15 MB from Maven Central
if ! timeout 900 mvn -q -B package >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  fail "mvn package failed"
fi
ls target/lib/pulsar-client-*.jar >/dev/null 2>&1 || fail "pulsar-client jar missing from target/lib"
echo "$want" > "$stamp"
