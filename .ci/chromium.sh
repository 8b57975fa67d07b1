#!/usr/bin/env bash
# Install Debian's Chromium for the web page's browser tests (tests/service/test_web.py),
# if it is not there yet. Playwright drives it through executable_path=/usr/bin/chromium;
# no browser is ever downloaded by Playwright itself.
#
# Usage (as root, on Debian):  bash .ci/chromium.sh
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }

if [ -x /usr/bin/chromium ]; then
  log "$(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "must run as root to install Debian's chromium package"
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2
log "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
