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
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-.state/kafka}"
KAFKA_SECRETS_FILE="${KAFKA_SECRETS_FILE:-.state/secrets/kafka-users.json}"
[[ "$KAFKA_SECRETS_FILE" == /* ]] || KAFKA_SECRETS_FILE="$ROOT/$KAFKA_SECRETS_FILE"
export KAFKA_SECRETS_FILE
POSTGRES_PORT="${POSTGRES_PORT:-15432}"
POSTGRES_STATE_DIR="${POSTGRES_STATE_DIR:-.state/postgres}"
[[ "$KAFKA_STATE_DIR" == /* ]] || KAFKA_STATE_DIR="$ROOT/$KAFKA_STATE_DIR"
[[ "$POSTGRES_STATE_DIR" == /* ]] || POSTGRES_STATE_DIR="$ROOT/$POSTGRES_STATE_DIR"
export KAFKA_PORT POSTGRES_PORT  # deploy/local.py derives the same addresses

LOCAL_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
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
