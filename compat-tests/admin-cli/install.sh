#!/usr/bin/env bash
# Builds the admin-cli column: resolves the real pulsar-admin CLI (org.apache.pulsar:pulsar-client-tools) and
# pulsar-perf (org.apache.pulsar:pulsar-testclient) from Maven Central (target/classpath.txt), and compiles the
# small batch driver (several CLI commands in one JVM). Idempotent and quiet: does nothing when pom.xml and the
# sources are unchanged since the last build. Uses Maven's default local repository (~/.m2). Fails loudly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() { echo "compat-tests/admin-cli/install.sh: $*" >&2; exit 1; }

command -v mvn >/dev/null || fail "mvn not found (apt-get install maven)"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$java_bin" >/dev/null || fail "java not found (JDK 17 or newer)"

stamp="target/.compat-install-stamp"
inputs_hash() {
  { cat pom.xml; find src -type f -name '*.java' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -d" " -f1
}
want="$(inputs_hash)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d target/classes ] && [ -f target/classpath.txt ]; then
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Pulsar's poms name repositories this machine cannot reach: the reference settings send every one to Central.
# bounded: a cold ~/.m2 downloads about 240 MB
if ! timeout 1200 mvn -q -B -s ../reference/settings.xml package >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  fail "mvn package failed"
fi
grep -q 'pulsar-client-tools-[^:]*\.jar' target/classpath.txt && grep -q 'pulsar-testclient-[^:]*\.jar' target/classpath.txt \
  || fail "pulsar-client-tools or pulsar-testclient missing from target/classpath.txt"
echo "$want" > "$stamp"
