#!/usr/bin/env bash
# Local single-node Kafka (KRaft, broker+controller) on 127.0.0.1:19092 (controller :19093).
#   deploy/kafka.sh start|stop|status|jars
# Jars come from Maven Central (deploy/kafka/pom.xml) into .cache/kafka/libs; data, logs and
# the pid file live in .state/kafka. Idempotent: start when running, stop when stopped are no-ops.
# Another broker next to it: KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_STATE_DIR (deploy/env.sh).
#
#   deploy/kafka.sh start|stop|status --secured   (or KAFKA_SECURED=1)
# The production shape: SASL/SCRAM-SHA-512 listener on 127.0.0.1:19094 (controller :19095,
# PLAIN, broker only), StandardAuthorizer, nothing allowed without an ACL, super user admin
# only. The secrets file (KAFKA_SECRETS_FILE, default .state/secrets/kafka-users.json) is
# generated when missing; at every start each principal's SCRAM credential, the registry's
# topics and their ACLs are applied (python -m deploy.secured apply).
set -euo pipefail
if [[ "${2:-}" == "--secured" ]]; then export KAFKA_SECURED=1; fi
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

POM="$ROOT/deploy/kafka/pom.xml"
LIBS="$CACHE_DIR/kafka/libs"
JARS_STAMP="$CACHE_DIR/kafka/.resolved"
KSTATE="$KAFKA_STATE_DIR"
PID_FILE="$KSTATE/kafka.pid"
PROPS="$KSTATE/server.properties"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

need_java() {
  need java "OpenJDK 17 (apt-get install openjdk-17-jre-headless)"
  local major
  major="$(java -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p')"
  [[ "${major:-0}" -ge 17 ]] || die "java $major is too old: Kafka 4 needs 17+ (apt-get install openjdk-17-jre-headless)"
}

resolve_jars() {
  need mvn "Maven (apt-get install maven)"
  log "resolving Kafka jars from Maven Central into $LIBS"
  rm -rf "$LIBS.tmp" && mkdir -p "$LIBS.tmp"
  mvn -B -f "$POM" dependency:copy-dependencies -DoutputDirectory="$LIBS.tmp" \
    >"$CACHE_DIR/kafka/mvn.log" 2>&1 || { tail -n 40 "$CACHE_DIR/kafka/mvn.log" >&2; die "mvn failed"; }
  rm -rf "$LIBS" && mv "$LIBS.tmp" "$LIBS" && touch "$JARS_STAMP"
}

pid() { cat "$PID_FILE" 2>/dev/null || true; }
# Running = the pid file names a live kafka.Kafka process (not a recycled pid).
running() {
  local p; p="$(pid)"
  [[ -n "$p" ]] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; }
# A real client request (metadata), not an open port.
# Secured: this script's probe connects as admin (credentials from the secrets file, passed
# to the probe only, not exported to the broker).
CLIENT_ENV=()
as_admin() {
  [[ -n "$KAFKA_SECURED" ]] || return 0
  need_venv
  mapfile -t CLIENT_ENV < <("$PYTHON" -m deploy.secured env admin --bootstrap "$LOCAL_KAFKA_BOOTSTRAP" | sed 's/^export //')
}
answers() { env "${CLIENT_ENV[@]}" "$PYTHON" -m deploy.create_topics --bootstrap "$LOCAL_KAFKA_BOOTSTRAP" --wait-only --timeout "${1:-3}" >/dev/null 2>&1; }
JAVA=(java -Xms256m -Xmx"${KAFKA_HEAP_MAX:-2g}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dkafka.logs.dir="$KSTATE/logs" -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml"
  -Dlog4j2.shutdownHookEnabled=false
  -cp "$LIBS/*")

format_storage() {
  mkdir -p "$KSTATE/data" "$KSTATE/logs"
  if [[ -n "$KAFKA_SECURED" ]]; then secured_properties; else plaintext_properties; fi
  [[ -f "$KSTATE/data/meta.properties" ]] && return
  local cluster_id scram=()
  [[ -n "$KAFKA_SECURED" ]] && scram=(--add-scram "$("$PYTHON" -m deploy.secured bootstrap-scram)")
  # A Kafka Uuid: 16 random bytes, base64url without padding (what `random-uuid` prints).
  # (--cluster-id=ID: an id may start with "-", which -t ID would read as an option.)
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  log "formatting $KSTATE/data (cluster id $cluster_id)"
  "${JAVA[@]}" kafka.tools.StorageTool format --standalone --cluster-id="$cluster_id" -c "$PROPS" "${scram[@]}" \
    >"$KSTATE/logs/format.log" 2>&1 || { cat "$KSTATE/logs/format.log" >&2; die "storage format failed"; }
}

plaintext_properties() {
  {
    cat "$ROOT/deploy/kafka/server.properties"
    echo "controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT"
    echo "listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    echo "log.dirs=$KSTATE/data"
  } > "$PROPS"
}

# The broker's own admin password is in its properties: readable by this user only.
secured_properties() {
  local lines
  lines="$("$PYTHON" -m deploy.secured broker-properties "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT")"
  ( umask 077
    { cat "$ROOT/deploy/kafka/server.properties"; echo "$lines"; echo "log.dirs=$KSTATE/data"; } > "$PROPS" )
}

# Something else listens on the port (not our broker): a Kafka from elsewhere, perhaps
# slow or still starting. Wait up to START_TIMEOUT for it to answer (0: use it); 1 when
# the port closes meanwhile (start ours); never start a second broker on a taken port.
wait_for_foreign() {
  local deadline=$((SECONDS + START_TIMEOUT)) waiting=""
  until answers 5; do
    port_open || return 1
    ((SECONDS < deadline)) || die "something listens on :$KAFKA_PORT but does not answer as Kafka (waited ${START_TIMEOUT}s); not starting a second broker on that port"
    [[ -n "$waiting" ]] || log "something listens on :$KAFKA_PORT but does not answer yet: waiting up to ${START_TIMEOUT}s"
    waiting=1
    sleep 1
  done
}

start() {
  need_venv
  if ! running && port_open && wait_for_foreign; then
    log "a Kafka from elsewhere (another checkout?) answers on $LOCAL_KAFKA_BOOTSTRAP: using it"
    return
  fi
  need_java
  [[ -f "$JARS_STAMP" && "$JARS_STAMP" -nt "$POM" ]] || resolve_jars
  if running; then log "already running (pid $(pid))"; else
    format_storage
    log "starting Kafka on $LOCAL_KAFKA_BOOTSTRAP (log: $KSTATE/logs/server.log)"
    # setsid: the broker outlives the shell, make and pytest that started it.
    rm -f "$PID_FILE"
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PID_FILE" "${JAVA[@]}" kafka.Kafka "$PROPS" \
      </dev/null >"$KSTATE/logs/stdout.log" 2>&1 9>&- &
    for _ in {1..50}; do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers 3; do
    running || { tail -n 30 "$KSTATE/logs/stdout.log" "$KSTATE/logs/server.log" >&2 2>/dev/null; die "Kafka exited during start"; }
    ((SECONDS < deadline)) || die "Kafka did not answer within ${START_TIMEOUT}s (see $KSTATE/logs/server.log)"
    sleep 0.5
  done
  if [[ -n "$KAFKA_SECURED" ]]; then
    "$PYTHON" -m deploy.secured apply --bootstrap "$LOCAL_KAFKA_BOOTSTRAP" \
      --namespace "${TOPIC_NAMESPACE:-}" || die "could not apply credentials, topics and ACLs"
  fi
  log "ready on $LOCAL_KAFKA_BOOTSTRAP${KAFKA_SECURED:+ (secured: SASL_PLAINTEXT SCRAM-SHA-512, ACLs; secrets in $KAFKA_SECRETS_FILE)}"
}

stop() {
  if ! running; then log "not running"; rm -f "$PID_FILE"; return; fi
  local p; p="$(pid)"
  log "stopping Kafka (pid $p)"
  kill -TERM "$p"
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  if kill -0 "$p" 2>/dev/null; then log "still running after ${STOP_TIMEOUT}s: SIGKILL"; kill -KILL "$p"; fi
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  if ! running; then log "stopped"; exit 3; fi
  need_venv
  if answers 5; then log "running (pid $(pid)), answering on $LOCAL_KAFKA_BOOTSTRAP"
  else log "running (pid $(pid)) but not answering on $LOCAL_KAFKA_BOOTSTRAP"; exit 1; fi
}

cmd="${1:-}"
case "$cmd" in
  start|stop|status)
    if [[ -n "$KAFKA_EXTERNAL" ]]; then
      log "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS: using that external Kafka, nothing to $cmd"
      exit 0
    fi
    mkdir -p "$KSTATE/logs"
    as_admin
    exec 9>"$KSTATE.lock" && flock 9  # one start/stop at a time
    "$cmd" ;;
  jars) resolve_jars ;;
  *) echo "usage: $0 start|stop|status [--secured] | jars" >&2; exit 2 ;;
esac
