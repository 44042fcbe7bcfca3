#!/usr/bin/env bash
# Our own Prometheus (Debian package `prometheus`) on 127.0.0.1:19090, scraping the four
# services of `make up` (:9101-:9104) with the alert rules of deploy/prometheus/alerts.yml.
# Config generated into .state/prometheus/prometheus.yml, data in .state/prometheus/data.
#   deploy/prometheus.sh install|start|stop|status
# Other port / state: PROMETHEUS_PORT, PROMETHEUS_STATE_DIR. The packaged system service
# is never used: `install` stops and disables it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/daemon.sh"

PORT="${PROMETHEUS_PORT:-19090}"
PSTATE="${PROMETHEUS_STATE_DIR:-$STATE_DIR/prometheus}"
[[ "$PSTATE" == /* ]] || PSTATE="$ROOT/$PSTATE"
PIDFILE="$PSTATE/prometheus.pid"
CONFIG="$PSTATE/prometheus.yml"
INSTALL_HINT="apt-get install -y --no-install-recommends prometheus (Debian package; brings promtool)"

ready() { curl -fsS "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; }

# The package starts prometheus.service on :9090 where an init system runs; we run our own.
stop_packaged_service() {
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/prometheus ]]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    command -v update-rc.d >/dev/null 2>&1 && update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
  local p
  for p in $(pgrep -x prometheus 2>/dev/null || true); do
    # only the packaged daemon: it runs as the `prometheus` user from /usr/bin
    [[ "$(ps -o user= -p "$p" 2>/dev/null | tr -d ' ')" == prometheus ]] && kill "$p" 2>/dev/null || true
  done
}

install() {
  if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    [[ "$(id -u)" == 0 ]] || die "prometheus not found: $INSTALL_HINT (as root)"
    command -v apt-get >/dev/null 2>&1 || die "prometheus not found: install it ($INSTALL_HINT)"
    log "installing the Debian package prometheus"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null; } \
      || die "apt-get install prometheus failed"
  fi
  stop_packaged_service
  log "$(prometheus --version 2>&1 | head -1)"
}

start() {
  need prometheus "$INSTALL_HINT"
  need_venv
  if running; then log "already running on :$PORT (pid $(pid))"; return; fi
  mkdir -p "$PSTATE/data"
  "$PYTHON" -m deploy.prometheus.config --out "$CONFIG" >/dev/null
  promtool check config "$CONFIG" >/dev/null || die "generated config $CONFIG is invalid"
  local out="$PSTATE/prometheus.log"
  : >"$out"  # a fresh log each start
  launch "$out" prometheus --config.file="$CONFIG" --storage.tsdb.path="$PSTATE/data" \
    --storage.tsdb.retention.time=15d --web.listen-address="127.0.0.1:$PORT" \
    --web.enable-lifecycle
  await_ready "$out" "Prometheus on http://127.0.0.1:$PORT (pid $(pid), config $CONFIG)" \
    "prometheus exited" "prometheus not ready on :$PORT after 30 s (log: $out)"
}

stop() { stop_daemon 60 0.5; }

status() { say_status "running on :$PORT (pid $(pid))"; }

dispatch "install|start|stop|status" "$@"
