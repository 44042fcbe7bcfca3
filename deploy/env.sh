# Sourced by deploy/*.sh: repo paths and connection defaults.
# KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL set to anything but the local defaults mean
# "use that external server": the start/stop scripts then leave the local one alone.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$ROOT/.state"
CACHE_DIR="$ROOT/.cache"
PYTHON="$ROOT/.venv/bin/python"

# Ports and state directories of the local servers: another pair (a second checkout, a
# chaos run) only needs other values. Relative state directories are relative to the repo.
# KAFKA_SECURED=1 (deploy/kafka.sh start --secured): the SASL/SCRAM broker with ACLs, on
# ports of its own (19094/19095) and its own state; secrets in KAFKA_SECRETS_FILE.
KAFKA_SECURED="${KAFKA_SECURED:-}"
if [[ -n "$KAFKA_SECURED" ]]; then
  KAFKA_PORT="${KAFKA_PORT:-19094}"
  KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19095}"
  KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-.state/kafka-secured}"
fi
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
# KAFKA_BROKERS=3 (deploy/kafka.sh start --brokers 3, make up BROKERS=3): a cluster of
# three KRaft nodes; node i (1..N) listens on KAFKA_PORT + (i-1) * KAFKA_PORT_STRIDE
# (controller: KAFKA_CONTROLLER_PORT + the same), state in KAFKA_STATE_DIR/node-i.
KAFKA_BROKERS="${KAFKA_BROKERS:-1}"
KAFKA_PORT_STRIDE="${KAFKA_PORT_STRIDE:-10}"
[[ "$KAFKA_BROKERS" =~ ^[1-5]$ ]] || { echo "KAFKA_BROKERS must be 1-5, not '$KAFKA_BROKERS'" >&2; exit 2; }
[[ "$KAFKA_PORT_STRIDE" =~ ^[1-9][0-9]*$ ]] || { echo "KAFKA_PORT_STRIDE must be a positive number" >&2; exit 2; }
if ((KAFKA_BROKERS > 1)); then
  KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-.state/kafka-cluster}"
else
  KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-.state/kafka}"
fi
KAFKA_SECRETS_FILE="${KAFKA_SECRETS_FILE:-.state/secrets/kafka-users.json}"
[[ "$KAFKA_SECRETS_FILE" == /* ]] || KAFKA_SECRETS_FILE="$ROOT/$KAFKA_SECRETS_FILE"
export KAFKA_SECRETS_FILE
POSTGRES_PORT="${POSTGRES_PORT:-15432}"
POSTGRES_STATE_DIR="${POSTGRES_STATE_DIR:-.state/postgres}"
[[ "$KAFKA_STATE_DIR" == /* ]] || KAFKA_STATE_DIR="$ROOT/$KAFKA_STATE_DIR"
[[ "$POSTGRES_STATE_DIR" == /* ]] || POSTGRES_STATE_DIR="$ROOT/$POSTGRES_STATE_DIR"
export KAFKA_PORT KAFKA_BROKERS KAFKA_PORT_STRIDE POSTGRES_PORT  # deploy/local.py derives the same addresses

broker_port() { echo $((KAFKA_PORT + ($1 - 1) * KAFKA_PORT_STRIDE)); }
controller_port() { echo $((KAFKA_CONTROLLER_PORT + ($1 - 1) * KAFKA_PORT_STRIDE)); }
LOCAL_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
for ((node = 2; node <= KAFKA_BROKERS; node++)); do
  LOCAL_KAFKA_BOOTSTRAP+=",127.0.0.1:$(broker_port "$node")"
done
LOCAL_DATABASE_URL="postgresql://outcomes:outcomes@127.0.0.1:$POSTGRES_PORT/outcomes"

KAFKA_EXTERNAL=""
if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" && "$KAFKA_BOOTSTRAP_SERVERS" != "$LOCAL_KAFKA_BOOTSTRAP" ]]; then
  KAFKA_EXTERNAL=1
fi
DATABASE_EXTERNAL=""
if [[ -n "${DATABASE_URL:-}" && "$DATABASE_URL" != "$LOCAL_DATABASE_URL" ]]; then
  DATABASE_EXTERNAL=1
fi
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-$LOCAL_KAFKA_BOOTSTRAP}"
export DATABASE_URL="${DATABASE_URL:-$LOCAL_DATABASE_URL}"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
log() { echo "$(basename "$0"): $*"; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: install $2"; }
need_venv() {
  [[ -x "$PYTHON" ]] || die "$PYTHON not found: run 'make venv' (python3 -m venv .venv && .venv/bin/pip install -e '.[dev]')"
}
