#!/usr/bin/env bash
# The browser of the browser tests: Debian's `chromium` and `chromium-driver` (never a
# browser downloaded by a test tool). Installed with apt-get when missing.
#   deploy/chromium.sh install|status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PACKAGES=(chromium chromium-driver)
INSTALL_HINT="apt-get install -y --no-install-recommends ${PACKAGES[*]} (Debian packages)"

present() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }

install() {
  if ! present; then
    [[ "$(id -u)" == 0 ]] || die "chromium/chromedriver not found: $INSTALL_HINT (as root)"
    command -v apt-get >/dev/null 2>&1 || die "chromium not found: install it ($INSTALL_HINT)"
    log "installing the Debian packages ${PACKAGES[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >/dev/null; } \
      || die "apt-get install ${PACKAGES[*]} failed"
  fi
  status
}

status() {
  present || die "chromium/chromedriver not installed: $INSTALL_HINT"
  log "$(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
}

case "${1:-status}" in
  install) install ;;
  status) status ;;
  *) die "usage: $0 install|status" ;;
esac
