# One background process behind a pid file: sourced by deploy/web.sh and
# deploy/prometheus.sh (after env.sh). The sourcing script sets PIDFILE and defines
# ready() (true once the process answers).

pid() { [[ -f "$PIDFILE" ]] && cat "$PIDFILE"; }
running() { local p; p="$(pid)" && [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; }

# launch LOG COMMAND...: run COMMAND in the background, its output appended to LOG.
launch() {
  local out="$1"; shift
  nohup "$@" >>"$out" 2>&1 &
  echo $! >"$PIDFILE"
}

# await_ready LOG READY_MESSAGE EXITED_MESSAGE TIMEOUT_MESSAGE: up to 30 s for ready();
# the log's tail and EXITED_MESSAGE when the process died first.
await_ready() {
  local out="$1" ready_message="$2" exited_message="$3" timeout_message="$4"
  for _ in $(seq 1 60); do
    if ready; then log "$ready_message"; return; fi
    running || { tail -20 "$out" >&2; die "$exited_message"; }
    sleep 0.5
  done
  die "$timeout_message"
}

# stop_daemon TRIES INTERVAL: TERM, up to TRIES x INTERVAL seconds to go, then KILL.
stop_daemon() {
  local tries="$1" interval="$2" p
  if ! running; then rm -f "$PIDFILE"; log "not running"; return; fi
  p="$(pid)"
  kill "$p"
  for _ in $(seq 1 "$tries"); do kill -0 "$p" 2>/dev/null || break; sleep "$interval"; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p"
  rm -f "$PIDFILE"
  log "stopped"
}

# say_status RUNNING_MESSAGE: the process's state in one line.
say_status() { if running; then log "$1"; else log "not running"; fi; }

# dispatch "a|b|c" [COMMAND]: run the function COMMAND (default status), one of a|b|c.
dispatch() {
  local commands="$1" command="${2:-status}"
  [[ "|$commands|" == *"|$command|"* ]] || die "usage: $0 $commands"
  "$command"
}
