#!/usr/bin/env bash
# Start a real Apache Pulsar standalone broker (the conformance suite's
# "reference mode"), assembled from Maven Central. No Docker, no tarball.
#
#   1. assemble: resolve the runtime classpath of pom.xml with Maven (cached in
#      .cache/, redone only when pom.xml/settings.xml change or a jar vanished)
#   2. run: java ... org.apache.pulsar.PulsarStandaloneStarter --config <conf> -nfw -nss
#      in the background, with a fresh data dir
#   3. wait (bounded) until the broker is healthy, cluster "standalone" exists
#      and namespace public/default exists, then print one line:
#      PULSAR READY service=pulsar://127.0.0.1:<port> admin=http://127.0.0.1:<web> pid=<pid>
#
# Usage: start-pulsar.sh [options]
#   --broker-port N     binary protocol port        (env PULSAR_BROKER_PORT, default 6650)
#   --web-port N        admin/HTTP port             (env PULSAR_WEB_PORT,    default 8080)
#   --free-ports        pick free loopback ports instead of the defaults
#                       (env PULSAR_FREE_PORTS=1); explicit ports still win
#                       (the in-process bookie always gets a free port, kept
#                       across restarts with --keep-data)
#   --run-dir DIR       run/data directory          (env PULSAR_RUN_DIR, default .cache/run)
#   --keep-data         do not wipe the data of a previous run in DIR
#   --set KEY=VALUE     override a standalone.conf key (repeatable;
#                       env PULSAR_CONF_OVERRIDES="k1=v1 k2=v2")
#   --timeout S         readiness timeout in seconds (env PULSAR_READY_TIMEOUT, default 180)
#   --assemble-only     only resolve the classpath, do not start
#   -h, --help
# Other env: JAVA_HOME (Java 17 or 21), PULSAR_MEM (heap/direct memory flags),
#            PULSAR_EXTRA_OPTS (appended JVM flags), MVN (maven binary).
#
# Exit codes: 0 ready, 1 failed to start / not ready in time, 2 usage,
#             3 already running in this run dir, 4 assembly failed.
set -euo pipefail

REF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="$REF_DIR/.cache"

BROKER_PORT="${PULSAR_BROKER_PORT:-}"
WEB_PORT="${PULSAR_WEB_PORT:-}"
FREE_PORTS="${PULSAR_FREE_PORTS:-0}"
RUN_DIR="${PULSAR_RUN_DIR:-$CACHE_DIR/run}"
KEEP_DATA=0
READY_TIMEOUT="${PULSAR_READY_TIMEOUT:-180}"
ASSEMBLE_ONLY=0
OVERRIDES=()
if [[ -n "${PULSAR_CONF_OVERRIDES:-}" ]]; then
  read -r -a OVERRIDES <<<"$PULSAR_CONF_OVERRIDES"
fi

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "start-pulsar: $1" >&2; exit "${2:-1}"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --broker-port) BROKER_PORT="${2:?}"; shift 2 ;;
    --web-port) WEB_PORT="${2:?}"; shift 2 ;;
    --free-ports) FREE_PORTS=1; shift ;;
    --run-dir|--data-dir) RUN_DIR="${2:?}"; shift 2 ;;
    --keep-data) KEEP_DATA=1; shift ;;
    --set) OVERRIDES+=("${2:?}"); shift 2 ;;
    --timeout) READY_TIMEOUT="${2:?}"; shift 2 ;;
    --assemble-only) ASSEMBLE_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "start-pulsar: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { echo "start-pulsar: $*" >&2; }

# ---------------------------------------------------------------- java
find_java() {
  local cand
  for cand in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk; do
    if [[ -n "$cand" && -x "$cand/bin/java" ]]; then echo "$cand/bin/java"; return; fi
  done
  command -v java || die "no java found (set JAVA_HOME to a Java 17 or 21 JDK)"
}
JAVA="$(find_java)"
JAVA_MAJOR="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
case "$JAVA_MAJOR" in
  17|21) ;;
  *) log "warning: $JAVA is Java $JAVA_MAJOR; Pulsar 4.0 supports Java 17 and 21" ;;
esac

# ---------------------------------------------------------------- assemble
MVN="${MVN:-mvn}"
mkdir -p "$CACHE_DIR"
KEY="$(cat "$REF_DIR/pom.xml" "$REF_DIR/settings.xml" | sha256sum | cut -c1-16)"
CP_FILE="$CACHE_DIR/classpath-$KEY.txt"

classpath_ok() {
  [[ -s "$CP_FILE" ]] || return 1
  local jar
  while IFS= read -r jar; do
    [[ -f "$jar" ]] || return 1
  done < <(tr ':' '\n' <"$CP_FILE")
}

if ! classpath_ok; then
  command -v "$MVN" >/dev/null || die "maven ($MVN) not found" 4
  log "assembling classpath with Maven (first time: ~2 min, downloads ~270 MB)"
  t0=$(date +%s)
  tmp_cp="$CP_FILE.tmp.$$"
  if ! timeout 1200 "$MVN" -B -q -s "$REF_DIR/settings.xml" -f "$REF_DIR/pom.xml" \
        dependency:build-classpath -Dmdep.includeScope=runtime \
        -Dmdep.outputFile="$tmp_cp" >"$CACHE_DIR/mvn.log" 2>&1; then
    tail -n 30 "$CACHE_DIR/mvn.log" >&2
    rm -f "$tmp_cp"
    die "maven could not resolve the classpath (full log: $CACHE_DIR/mvn.log)" 4
  fi
  mv "$tmp_cp" "$CP_FILE"
  log "classpath assembled in $(( $(date +%s) - t0 )) s: $(tr ':' '\n' <"$CP_FILE" | wc -l) jars -> $CP_FILE"
fi
if [[ "$ASSEMBLE_ONLY" == 1 ]]; then
  echo "$CP_FILE"
  exit 0
fi

# ---------------------------------------------------------------- ports
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    local p i
    for i in $(seq 1 50); do
      p=$(( 20000 + RANDOM % 30000 ))
      port_in_use "$p" || { echo "$p"; return; }
    done
    die "could not find a free port"
  fi
}
if [[ "$FREE_PORTS" == 1 ]]; then
  BROKER_PORT="${BROKER_PORT:-$(free_port)}"
  WEB_PORT="${WEB_PORT:-$(free_port)}"
  [[ "$WEB_PORT" != "$BROKER_PORT" ]] || WEB_PORT="$(free_port)"
fi
BROKER_PORT="${BROKER_PORT:-6650}"
WEB_PORT="${WEB_PORT:-8080}"
for p in "$BROKER_PORT" "$WEB_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] || die "bad port: $p" 2
done
[[ "$BROKER_PORT" != "$WEB_PORT" ]] || die "broker and web ports must differ" 2

# ---------------------------------------------------------------- run dir
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
PID_FILE="$RUN_DIR/pulsar.pid"
MARKER="$RUN_DIR/.vela-pulsar-run"

if [[ -f "$PID_FILE" ]]; then
  old="$(cat "$PID_FILE" 2>/dev/null || true)"
  if [[ -n "$old" ]] && kill -0 "$old" 2>/dev/null \
     && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null \
        | grep -qF -- "-Dvela.pulsar.rundir=$RUN_DIR "; then
    die "already running in $RUN_DIR (pid $old); run stop-pulsar.sh first" 3
  fi
  rm -f "$PID_FILE"
fi
for p in "$BROKER_PORT" "$WEB_PORT"; do
  port_in_use "$p" && die "port $p on 127.0.0.1 is already in use (use --free-ports or other ports)" 1
done

if [[ -n "$(ls -A "$RUN_DIR" 2>/dev/null)" && ! -f "$MARKER" ]]; then
  die "$RUN_DIR is not empty and was not created by start-pulsar.sh; refusing to use it" 2
fi
touch "$MARKER"
if [[ "$KEEP_DATA" != 1 ]]; then
  rm -rf "$RUN_DIR/data" "$RUN_DIR/logs"
fi
mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs"

# Bookie port: fresh data gets any free port; kept data gets its old port back,
# so the bookie id (localhost:<port>) recorded in the metadata stays the same.
BK_PORT=""
if [[ "$KEEP_DATA" == 1 && -f "$RUN_DIR/pulsar.env" ]]; then
  BK_PORT="$(sed -n 's/^PULSAR_BOOKIE_PORT=//p' "$RUN_DIR/pulsar.env")"
  if [[ -n "$BK_PORT" ]] && port_in_use "$BK_PORT"; then
    die "bookie port $BK_PORT of the kept data is in use" 1
  fi
fi
if [[ -z "$BK_PORT" ]]; then
  for _ in 1 2 3 4 5; do
    BK_PORT="$(free_port)"
    [[ "$BK_PORT" != "$BROKER_PORT" && "$BK_PORT" != "$WEB_PORT" ]] && break
  done
fi

# effective config: standalone.conf + ports + overrides
CONF="$RUN_DIR/standalone.conf"
set_conf() {  # key value
  local k="$1" v="$2"
  if grep -q "^$k=" "$CONF"; then
    local esc="${v//\\/\\\\}"; esc="${esc//&/\\&}"; esc="${esc//|/\\|}"
    sed -i "s|^$k=.*|$k=$esc|" "$CONF"
  else
    printf '%s=%s\n' "$k" "$v" >>"$CONF"
  fi
}
cp "$REF_DIR/standalone.conf" "$CONF"
set_conf brokerServicePort "$BROKER_PORT"
set_conf webServicePort "$WEB_PORT"
for kv in "${OVERRIDES[@]+"${OVERRIDES[@]}"}"; do
  [[ "$kv" == *=* ]] || die "--set wants KEY=VALUE, got: $kv" 2
  set_conf "${kv%%=*}" "${kv#*=}"
done

# ---------------------------------------------------------------- jvm
# Flags follow Pulsar's bin/pulsar + conf/pulsar_env.sh, with memory sized for
# a small (2-core) machine instead of -Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g.
PULSAR_MEM="${PULSAR_MEM:--Xms512m -Xmx1g -XX:MaxDirectMemorySize=1g}"
PULSAR_GC="${PULSAR_GC:--XX:+UseG1GC -XX:MaxGCPauseMillis=10 -XX:+ParallelRefProcEnabled -XX:+UnlockExperimentalVMOptions -XX:+DoEscapeAnalysis -XX:G1NewSizePercent=50 -XX:+DisableExplicitGC}"
JVM_OPTS=(
  $PULSAR_MEM
  $PULSAR_GC
  "-Xlog:gc:file=$RUN_DIR/logs/gc.log:time,uptime:filecount=2,filesize=10M"
  -Dpulsar.allocator.exit_on_oom=true
  -Dio.netty.recycler.maxCapacityPerThread=4096
  -Djute.maxbuffer=10485760
  -Djava.net.preferIPv4Stack=true
  -Dio.netty.tryReflectionSetAccessible=true
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.util.zip=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens java.base/sun.net=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  "-Dlog4j.configurationFile=$REF_DIR/log4j2.xml"
  -Dlog4j2.is.webapp=false
  -Dlog4j.shutdownHookEnabled=false
  "-Dpulsar.log.dir=$RUN_DIR/logs"
  -Dpulsar.log.file=pulsar-standalone.log
  -Dbookkeeper.metadata.bookie.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataBookieDriver
  -Dbookkeeper.metadata.client.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataClientDriver
  "-Dvela.pulsar.rundir=$RUN_DIR"
  ${PULSAR_EXTRA_OPTS:-}
)
STANDALONE_ARGS=(
  --config "$CONF"
  -nfw -nss
  --metadata-dir "$RUN_DIR/data/metadata"
  --bookkeeper-dir "$RUN_DIR/data/bookkeeper"
  --bookkeeper-port "$BK_PORT"
)

# ---------------------------------------------------------------- launch
cd "$RUN_DIR"
# RocksDB metadata (PIP-117) unless a zookeeper dir exists or this is set
unset PULSAR_STANDALONE_USE_ZOOKEEPER
t_start=$(date +%s.%N)
# The inner shell writes its own pid and then execs java, so the pid file holds
# the JVM's pid. setsid: the broker outlives the calling shell/process group.
setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
  "$JAVA" "${JVM_OPTS[@]}" -cp "$(cat "$CP_FILE")" \
  org.apache.pulsar.PulsarStandaloneStarter "${STANDALONE_ARGS[@]}" \
  >"$RUN_DIR/logs/stdout.log" 2>&1 </dev/null &
for _ in $(seq 1 50); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
PID="$(cat "$PID_FILE" 2>/dev/null || true)"
[[ -n "$PID" ]] || die "could not start java (see $RUN_DIR/logs/stdout.log)"

# For consumers of this run (e.g. `set -a; . pulsar.env; set +a`). Deliberately
# no PULSAR_BROKER_PORT/PULSAR_WEB_PORT here: those are inputs of this script.
cat >"$RUN_DIR/pulsar.env" <<EOF
PULSAR_SERVICE_URL=pulsar://127.0.0.1:$BROKER_PORT
PULSAR_ADMIN_URL=http://127.0.0.1:$WEB_PORT
PULSAR_BOOKIE_PORT=$BK_PORT
PULSAR_PID=$PID
PULSAR_RUN_DIR=$RUN_DIR
PULSAR_LOG=$RUN_DIR/logs/pulsar-standalone.log
EOF

# ---------------------------------------------------------------- readiness
ADMIN="http://127.0.0.1:$WEB_PORT"
http_get() { curl -s --max-time 5 "$ADMIN$1" 2>/dev/null || true; }
fail_start() {
  log "$1"
  log "--- last lines of $RUN_DIR/logs/stdout.log"
  tail -n 20 "$RUN_DIR/logs/stdout.log" >&2 || true
  log "--- last ERROR/WARN lines of $RUN_DIR/logs/pulsar-standalone.log"
  grep -E ' (ERROR|WARN) ' "$RUN_DIR/logs/pulsar-standalone.log" 2>/dev/null | tail -n 20 >&2 || true
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$PID" 2>/dev/null || break; sleep 1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  exit 1
}

deadline=$(( $(date +%s) + READY_TIMEOUT ))
while :; do
  kill -0 "$PID" 2>/dev/null || fail_start "the JVM (pid $PID) exited during startup"
  if [[ "$(http_get /admin/v2/brokers/health)" == "ok" ]] \
     && [[ "$(http_get /admin/v2/clusters | tr -d ' \n')" == '["standalone"]' ]] \
     && http_get /admin/v2/namespaces/public | grep -q '"public/default"'; then
    break
  fi
  (( $(date +%s) < deadline )) || fail_start "not ready after ${READY_TIMEOUT}s"
  sleep 0.5
done
elapsed=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "ready after ${elapsed}s (logs: $RUN_DIR/logs, env: $RUN_DIR/pulsar.env)"
echo "PULSAR READY service=pulsar://127.0.0.1:$BROKER_PORT admin=$ADMIN pid=$PID"
