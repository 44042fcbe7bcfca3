#!/usr/bin/env bash
# Start/stop/status of the four services as background processes (pids and logs in
# .state/services/). Uses the same KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL as the infra.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh
#   deploy/services.sh start --instances 3   (N processes of each service; see tools/services.py)
exec .venv/bin/python -m tools.services "${1:-status}" "${@:2}"
