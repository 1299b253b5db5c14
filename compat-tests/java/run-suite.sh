#!/usr/bin/env bash
# Runs the Java conformance suite in one JVM (see README.md). Reads the runner's environment
# (SERVICE_URL, ADMIN_URL, COMPAT_CONTROL_URL, COMPAT_SCENARIOS, COMPAT_RUN_ID, COMPAT_LOG_DIR,
# COMPAT_TIMEOUT_SCALE); stdout carries only the result lines, the client's log goes to
# $COMPAT_LOG_DIR/java-client.log. Build first with install.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -d "$here/target/classes" ] && [ -d "$here/target/lib" ] \
  || { echo "compat-tests/java: not built; run compat-tests/java/install.sh" >&2; exit 1; }

log_dir="${COMPAT_LOG_DIR:-${TMPDIR:-/tmp}}"
mkdir -p "$log_dir"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# fast start for a short-lived JVM: C1 only, small stacks and heap; logging through slf4j-simple to a file
exec "$java_bin" \
  -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xmx256m \
  -Djava.net.preferIPv4Stack=true \
  -Dorg.slf4j.simpleLogger.logFile="$log_dir/java-client.log" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
  -Dorg.slf4j.simpleLogger.showDateTime=true \
  -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
  -cp "$here/target/classes:$here/target/lib/*" \
  dev.vela.compat.java.Suite
