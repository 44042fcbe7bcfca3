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
#
#   deploy/kafka.sh start|stop|status --brokers 3 [--node I]   (or KAFKA_BROKERS=3)
# A cluster of three KRaft nodes on loopback, each broker and controller (three voters of
# a static quorum, controller.quorum.voters): node i listens on KAFKA_PORT + (i-1) *
# KAFKA_PORT_STRIDE (default 10: 19092, 19102, 19112; controllers 19093, 19103, 19113),
# keeps its data, logs and pid in KAFKA_STATE_DIR/node-i (default .state/kafka-cluster).
# Internal topics get replication factor 3 and min.insync.replicas=2 (as do the topics
# deploy/create_topics.py makes there). --node I starts or stops that node only (a broker
# lost and back). Plaintext only: the secured broker is a single node.
set -euo pipefail
cmd="${1:-}"
[[ $# -gt 0 ]] && shift
NODE_ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --secured) export KAFKA_SECURED=1 ;;
    --brokers) export KAFKA_BROKERS="${2:?--brokers needs a number}"; shift ;;
    --node) NODE_ONLY="${2:?--node needs a number}"; shift ;;
    *) echo "$0: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [[ -n "$KAFKA_SECURED" ]] && ((KAFKA_BROKERS > 1)); then die "the secured broker is a single node: --secured with --brokers $KAFKA_BROKERS"; fi
if [[ -n "$NODE_ONLY" ]] && ! ((NODE_ONLY >= 1 && NODE_ONLY <= KAFKA_BROKERS)); then die "--node $NODE_ONLY: the cluster has nodes 1-$KAFKA_BROKERS"; fi

POM="$ROOT/deploy/kafka/pom.xml"
LIBS="$CACHE_DIR/kafka/libs"
JARS_STAMP="$CACHE_DIR/kafka/.resolved"
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

# The node the functions below act on (select_node I): its id, ports and state directory.
# One broker keeps the layout of before (KAFKA_STATE_DIR itself); a cluster node has
# KAFKA_STATE_DIR/node-I.
select_node() {
  NODE="$1"
  NODE_PORT="$(broker_port "$NODE")"
  NODE_CONTROLLER_PORT="$(controller_port "$NODE")"
  NODE_BOOTSTRAP="127.0.0.1:$NODE_PORT"
  if ((KAFKA_BROKERS > 1)); then KSTATE="$KAFKA_STATE_DIR/node-$NODE"; else KSTATE="$KAFKA_STATE_DIR"; fi
  PID_FILE="$KSTATE/kafka.pid"
  PROPS="$KSTATE/server.properties"
  JAVA=(java -Xms256m -Xmx"${KAFKA_HEAP_MAX:-2g}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dkafka.logs.dir="$KSTATE/logs" -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml"
    -Dlog4j2.shutdownHookEnabled=false
    -cp "$LIBS/*")
}
if ((KAFKA_BROKERS > 1)) && [[ -z "${KAFKA_HEAP_MAX:-}" ]]; then KAFKA_HEAP_MAX=768m; fi  # per node of a cluster
NODES=()
if [[ -n "$NODE_ONLY" ]]; then NODES=("$NODE_ONLY"); else for ((n = 1; n <= KAFKA_BROKERS; n++)); do NODES+=("$n"); done; fi
select_node 1

pid() { cat "$PID_FILE" 2>/dev/null || true; }
# Running = the pid file names a live kafka.Kafka process (not a recycled pid).
running() {
  local p; p="$(pid)"
  [[ -n "$p" ]] && { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q 'kafka\.Kafka'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$NODE_PORT") 2>/dev/null; }
# A real client request (metadata), not an open port.
# Secured: this script's probe connects as admin (credentials from the secrets file, passed
# to the probe only, not exported to the broker).
CLIENT_ENV=()
as_admin() {
  [[ -n "$KAFKA_SECURED" ]] || return 0
  need_venv
  mapfile -t CLIENT_ENV < <("$PYTHON" -m deploy.secured env admin --bootstrap "$LOCAL_KAFKA_BOOTSTRAP" | sed 's/^export //')
}
answers() { env "${CLIENT_ENV[@]}" "$PYTHON" -m deploy.create_topics --bootstrap "$NODE_BOOTSTRAP" --wait-only --timeout "${1:-3}" >/dev/null 2>&1; }

format_storage() {
  mkdir -p "$KSTATE/data" "$KSTATE/logs"
  if [[ -n "$KAFKA_SECURED" ]]; then secured_properties; else plaintext_properties; fi
  [[ -f "$KSTATE/data/meta.properties" ]] && return
  local cluster_id quorum=(--standalone) scram=()
  [[ -n "$KAFKA_SECURED" ]] && scram=(--add-scram "$("$PYTHON" -m deploy.secured bootstrap-scram)")
  cluster_id="$(cluster_id)"
  # A cluster's voters are static (controller.quorum.voters): no quorum option to format.
  ((KAFKA_BROKERS > 1)) && quorum=()
  log "formatting $KSTATE/data (cluster id $cluster_id)"
  "${JAVA[@]}" kafka.tools.StorageTool format "${quorum[@]}" --cluster-id="$cluster_id" -c "$PROPS" "${scram[@]}" \
    >"$KSTATE/logs/format.log" 2>&1 || { cat "$KSTATE/logs/format.log" >&2; die "storage format failed"; }
}

# A Kafka Uuid: 16 random bytes, base64url without padding (what `random-uuid` prints);
# one per cluster, shared by its nodes (KAFKA_STATE_DIR/cluster.id).
# (--cluster-id=ID: an id may start with "-", which -t ID would read as an option.)
cluster_id() {
  if ((KAFKA_BROKERS == 1)); then head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; return; fi
  local file="$KAFKA_STATE_DIR/cluster.id"
  [[ -s "$file" ]] || head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' >"$file"
  cat "$file"
}

# The cluster's replication (replication factor up to 3, min.insync.replicas one less)
# and its voters, overriding the single node's lines of server.properties.
cluster_properties() {
  local replicas=$((KAFKA_BROKERS < 3 ? KAFKA_BROKERS : 3)) isr voters="" n
  isr=$((replicas > 1 ? replicas - 1 : 1))
  for ((n = 1; n <= KAFKA_BROKERS; n++)); do voters+="${voters:+,}$n@127.0.0.1:$(controller_port "$n")"; done
  echo "node.id=$NODE"
  echo "controller.quorum.voters=$voters"
  echo "default.replication.factor=$replicas"
  echo "min.insync.replicas=$isr"
  echo "offsets.topic.replication.factor=$replicas"
  echo "transaction.state.log.replication.factor=$replicas"
  echo "transaction.state.log.min.isr=$isr"
  echo "share.coordinator.state.topic.replication.factor=$replicas"
  echo "share.coordinator.state.topic.min.isr=$isr"
}
CLUSTER_KEYS='^(node\.id|default\.replication\.factor|min\.insync\.replicas|offsets\.topic\.replication\.factor|transaction\.state\.log\.(replication\.factor|min\.isr)|share\.coordinator\.state\.topic\.(replication\.factor|min\.isr))='

plaintext_properties() {
  {
    if ((KAFKA_BROKERS > 1)); then
      grep -Ev "$CLUSTER_KEYS" "$ROOT/deploy/kafka/server.properties"
      cluster_properties
    else
      cat "$ROOT/deploy/kafka/server.properties"
      echo "controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT"
    fi
    echo "listeners=PLAINTEXT://127.0.0.1:$NODE_PORT,CONTROLLER://127.0.0.1:$NODE_CONTROLLER_PORT"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$NODE_PORT,CONTROLLER://127.0.0.1:$NODE_CONTROLLER_PORT"
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
    ((SECONDS < deadline)) || die "something listens on :$NODE_PORT but does not answer as Kafka (waited ${START_TIMEOUT}s); not starting a second broker on that port"
    [[ -n "$waiting" ]] || log "something listens on :$NODE_PORT but does not answer yet: waiting up to ${START_TIMEOUT}s"
    waiting=1
    sleep 1
  done
}

# Format (first time) and start the selected node's process; do not wait for it.
launch() {
  if running; then log "node $NODE already running (pid $(pid))"; return; fi
  format_storage
  log "starting Kafka node $NODE on $NODE_BOOTSTRAP (log: $KSTATE/logs/server.log)"
  # setsid: the broker outlives the shell, make and pytest that started it.
  rm -f "$PID_FILE"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PID_FILE" "${JAVA[@]}" kafka.Kafka "$PROPS" \
    </dev/null >"$KSTATE/logs/stdout.log" 2>&1 9>&- &
  for _ in {1..50}; do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
}

# Wait until the selected node answers a metadata request (a cluster's nodes answer once
# their quorum has a leader: every node is launched before any is waited for).
wait_answers() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers 3; do
    running || { tail -n 30 "$KSTATE/logs/stdout.log" "$KSTATE/logs/server.log" >&2 2>/dev/null; die "Kafka node $NODE exited during start"; }
    ((SECONDS < deadline)) || die "Kafka node $NODE did not answer within ${START_TIMEOUT}s (see $KSTATE/logs/server.log)"
    sleep 0.5
  done
}

start() {
  need_venv
  if ((KAFKA_BROKERS == 1)) && ! running && port_open && wait_for_foreign; then
    log "a Kafka from elsewhere (another checkout?) answers on $LOCAL_KAFKA_BOOTSTRAP: using it"
    return
  fi
  need_java
  [[ -f "$JARS_STAMP" && "$JARS_STAMP" -nt "$POM" ]] || resolve_jars
  local n
  for n in "${NODES[@]}"; do
    select_node "$n"
    if ! running && port_open; then die "something else listens on :$NODE_PORT (node $n of the cluster): not starting a broker there"; fi
    mkdir -p "$KSTATE/logs"
    launch
  done
  for n in "${NODES[@]}"; do select_node "$n"; wait_answers; done
  if [[ -n "$KAFKA_SECURED" ]]; then
    "$PYTHON" -m deploy.secured apply --bootstrap "$LOCAL_KAFKA_BOOTSTRAP" \
      --namespace "${TOPIC_NAMESPACE:-}" || die "could not apply credentials, topics and ACLs"
  fi
  log "ready on $LOCAL_KAFKA_BOOTSTRAP${KAFKA_SECURED:+ (secured: SASL_PLAINTEXT SCRAM-SHA-512, ACLs; secrets in $KAFKA_SECRETS_FILE)}"
}

# SIGTERM to every selected node at once, then wait for all: a cluster's node stopped
# after the others have gone would wait for a controller quorum that no longer exists.
stop() {
  local n p pids=()
  for n in "${NODES[@]}"; do
    select_node "$n"
    if ! running; then log "node $n not running"; rm -f "$PID_FILE"; continue; fi
    p="$(pid)"
    log "stopping Kafka node $n (pid $p)"
    kill -TERM "$p"
    pids+=("$p")
  done
  local deadline=$((SECONDS + STOP_TIMEOUT))
  for p in "${pids[@]}"; do
    while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
    if kill -0 "$p" 2>/dev/null; then log "pid $p still running after ${STOP_TIMEOUT}s: SIGKILL"; kill -KILL "$p"; fi
  done
  for n in "${NODES[@]}"; do select_node "$n"; rm -f "$PID_FILE"; done
  log "stopped"
}

status() {
  local n code=0
  for n in "${NODES[@]}"; do
    select_node "$n"
    if ! running; then log "node $n stopped"; code=3; continue; fi
    need_venv
    if answers 5; then log "running (pid $(pid)), answering on $NODE_BOOTSTRAP"
    else log "running (pid $(pid)) but not answering on $NODE_BOOTSTRAP"; ((code == 3)) || code=1; fi
  done
  exit "$code"
}

case "$cmd" in
  start|stop|status)
    if [[ -n "$KAFKA_EXTERNAL" ]]; then
      log "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS: using that external Kafka, nothing to $cmd"
      exit 0
    fi
    mkdir -p "$KSTATE/logs"
    as_admin
    exec 9>"$KAFKA_STATE_DIR.lock" && flock 9  # one start/stop at a time
    "$cmd" ;;
  jars) resolve_jars ;;
  *) echo "usage: $0 start|stop|status [--secured | --brokers N [--node I]] | jars" >&2; exit 2 ;;
esac
