#!/usr/bin/env bash
# The web app: its assets (GOV.UK Frontend from npm, pinned by package-lock.json) and its
# process on 127.0.0.1:$WEB_PORT (default 18080; pid and log in .state/web/).
#   deploy/web.sh assets|start|stop|status
# `assets` runs `npm ci` when the lock file changed and copies GOV.UK Frontend's CSS, JS,
# fonts and images with the app's own files into services/web/static/ (git-ignored).
# Nothing is fetched at run time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/daemon.sh"

ASSETS="$ROOT/services/web/assets"
STATIC="$ROOT/services/web/static"
GOVUK="$ASSETS/node_modules/govuk-frontend/dist/govuk"
WEB_PORT="${WEB_PORT:-18080}"
WSTATE="$STATE_DIR/web"
PIDFILE="$WSTATE/web.pid"
LOG="$WSTATE/web.log"
export WEB_PORT

ready() { curl -fsS -o /dev/null "http://127.0.0.1:$WEB_PORT/sign-in" 2>/dev/null; }

assets() {
  need npm "Node.js and npm (Debian packages nodejs npm)"
  if [[ ! -f "$ASSETS/node_modules/.package-lock.json" \
        || "$ASSETS/package-lock.json" -nt "$ASSETS/node_modules/.package-lock.json" ]]; then
    log "npm ci (govuk-frontend, axe-core as pinned in package-lock.json)"
    (cd "$ASSETS" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  rm -rf "$STATIC"
  mkdir -p "$STATIC"
  cp "$GOVUK/govuk-frontend.min.css" "$GOVUK/govuk-frontend.min.js" "$STATIC/"
  cp -r "$GOVUK/assets/fonts" "$GOVUK/assets/images" "$GOVUK/assets/manifest.json" "$STATIC/"
  cp "$ASSETS"/src/* "$STATIC/"
  log "assets in $STATIC (govuk-frontend $(node -p "require('$ASSETS/node_modules/govuk-frontend/package.json').version"))"
}

# Development only (OUTCOMES_DEV_MODE=1, as `make up`): when nobody can sign in yet, one
# adviser per default provider, with a password anyone can read here.
DEMO_PASSWORD="development-only-password"
demo_users() {
  [[ "${OUTCOMES_DEV_MODE:-}" == 1 ]] || return 0
  [[ -z "$("$ROOT/.venv/bin/outcomes" users list 2>/dev/null)" ]] || return 0
  local provider
  for provider in whp-central pioneer-central whp-west; do
    echo "$DEMO_PASSWORD" | "$ROOT/.venv/bin/outcomes" users add "adviser-$provider" \
      --role "provider:prov-$provider" --password-stdin >/dev/null
  done
  log "development users: adviser-whp-central, adviser-pioneer-central, adviser-whp-west (password: $DEMO_PASSWORD)"
}

start() {
  need_venv
  if running; then log "already running: http://127.0.0.1:$WEB_PORT/ (pid $(pid))"; return; fi
  [[ -f "$STATIC/govuk-frontend.min.css" ]] || assets
  demo_users
  mkdir -p "$WSTATE"
  launch "$LOG" "$PYTHON" -m services.web
  await_ready "$LOG" "web app on http://127.0.0.1:$WEB_PORT/ (pid $(pid), log $LOG)" \
    "the web app exited" "the web app is not answering on :$WEB_PORT after 30 s (log: $LOG)"
}

stop() { stop_daemon 40 0.25; }

status() { say_status "running: http://127.0.0.1:$WEB_PORT/ (pid $(pid))"; }

dispatch "assets|start|stop|status" "$@"
